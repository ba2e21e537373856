@docker @podman
Feature: SQLite in WAL mode on a volume keeps every committed row

  Background:
    Given the services of "compose.yaml"
    And "app" is ready when healthy
    When the container "app" is started
    And I run "sqlite3 /data/db 'PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER)'" in "app"

  Scenario: Every committed row survives a kill taken mid-load
    When "app" starts running "sqlite3 /data/db 'INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "app" has acknowledged at least 200 records
    And I kill the container "app"
    And I start the container "app"
    Then every acknowledged n is listed by "sqlite3 /data/db 'SELECT n FROM t'" in "app"
