@docker @podman
Feature: Redis keeps what it acknowledged, as its settings promise
  The set workload turns redis-cli into a Jepsen-style check: SET k<n> is
  acknowledged when redis-cli exits 0, and after the fault every key
  acknowledged must still be listed. redis-cli exits 0 on an error reply
  too.

  Background:
    Given the services of "compose.yaml"
    And "cache" is ready when healthy

  Scenario: With appendfsync always, every acknowledged SET survives a kill taken while it writes
    When the container "cache" is started
    And "cache" starts running "redis-cli SET k{n} v{n}" for n from 1 upward
    And "cache" has acknowledged at least 300 records
    And I kill the container "cache"
    And I start the container "cache"
    Then every acknowledged n is listed by "redis-cli --scan --pattern k*" in "cache"

  Scenario: Acknowledged SETs on the volume outlive the container
    When the container "cache" is started
    And I run "redis-cli SET k{n} v{n}" in "cache" for n from 1 to 200
    And I recreate the container "cache"
    Then every acknowledged n is listed by "redis-cli --scan --pattern k*" in "cache"

  Scenario: With snapshots only, a graceful stop keeps every key: Redis saves on shutdown
    Given "cache" runs "redis-server --appendonly no --save '3600 1'"
    When the container "cache" is started
    And I run "redis-cli SET k{n} v{n}" in "cache" for n from 1 to 200
    And I stop the container "cache"
    And I start the container "cache"
    Then every acknowledged n is listed by "redis-cli --scan --pattern k*" in "cache"
