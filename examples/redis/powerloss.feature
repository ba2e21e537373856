@docker @podman
Feature: Redis through a power cut: appendfsync always keeps what it acknowledged

  Scenario: With appendfsync always, every acknowledged SET survives a power cut taken while it writes
    Given a power-loss volume "data"
    And a container "cache" from image "persistcheck/redis:7"
    And "cache" mounts volume "data" at "/data"
    And "cache" runs "redis-server --appendonly yes --appendfsync always"
    And "cache" is ready when healthy
    When the container "cache" is started
    And "cache" starts running "redis-cli SET k{n} v{n}" for n from 1 upward
    And "cache" has acknowledged at least 200 records
    And I cut the power to "cache"
    And I start the container "cache"
    Then every acknowledged n is listed by "redis-cli --scan --pattern k*" in "cache"
