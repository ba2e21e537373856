@docker @podman
Feature: Every acknowledged write survives the faults that really happen to containers
  The agent appends records to a file, each fsynced before it is
  acknowledged, and streams each acknowledgement to the harness as it
  happens: the history lives outside the container. A fault hits while it
  writes; then the file is read back and checked against the history, by
  sequence number. A kill is not a power loss: the host's page cache
  survives it.

  Background:
    Given a volume "data"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"

  Scenario: Fsynced appends on a named volume survive a kill taken while writing
    When the container "app" is started
    And "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 200 records
    And I kill the container "app"
    Then every acknowledged record in "/data/log" is intact in "app"
    When I start the container "app"
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: Appends without fsync survive a kill too: the page cache is the host's
    When the container "app" is started
    And "app" starts appending records to "/data/log" without fsync
    And "app" has acknowledged at least 500 records
    And I kill the container "app"
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: A crash from inside, under a restart policy, keeps every acknowledged record
    Given "app" restarts on failure
    When the container "app" is started
    And "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 100 records
    And the main process of "app" crashes
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: A pause, then a kill, while writing
    When the container "app" is started
    And "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 100 records
    And I pause the container "app"
    And I kill the container "app"
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: An OOM kill of the main process keeps every acknowledged record
    Given "app" has a memory limit of "32m"
    When the container "app" is started
    And "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 100 records
    And "app" runs out of memory
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: A full disk fails the writes it cannot take, and keeps those it acknowledged
    Given a volume "small" limited to "16m"
    And "app" mounts volume "small" at "/small"
    When the container "app" is started
    And "app" starts appending records to "/small/log"
    And "app" has acknowledged at least 100 records
    And "app" fills "/small"
    And I kill the container "app"
    Then every acknowledged record in "/small/log" is intact in "app"
    When I start the container "app"
    Then every acknowledged record in "/small/log" is intact in "app"

  Scenario: Five crash cycles, each taken while writing
    When the container "app" is started
    And "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 50 records
    And I kill and start the container "app" 5 times
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: Commands acknowledged by their exit code, listed back after a kill
    When the container "app" is started
    And I run "/.persistcheck/agent write /data/a/n{n} {n}" in "app" for n from 1 to 40
    Then every acknowledged n is listed by "/.persistcheck/agent list /data/a" in "app"
    When "app" starts running "/.persistcheck/agent write /data/b/n{n} {n}" for n from 1 upward
    And "app" has acknowledged at least 20 records
    And I kill the container "app"
    And I start the container "app"
    Then every acknowledged n is listed by "/.persistcheck/agent list /data/b" in "app"
