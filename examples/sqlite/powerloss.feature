@docker @podman
Feature: SQLite in WAL mode through a power cut keeps every committed row with synchronous=FULL

  Scenario: Every committed row survives a power cut taken mid-load
    Given a power-loss volume "data"
    And a container "app" from image "persistcheck/sqlite:3"
    And "app" mounts volume "data" at "/data"
    And "app" is ready when healthy
    When the container "app" is started
    And I run "sqlite3 /data/db 'PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER)'" in "app"
    And "app" starts running "sqlite3 /data/db 'PRAGMA synchronous=FULL; INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "app" has acknowledged at least 200 records
    And I cut the power to "app"
    And I start the container "app"
    Then every acknowledged n is listed by "sqlite3 /data/db 'SELECT n FROM t'" in "app"
