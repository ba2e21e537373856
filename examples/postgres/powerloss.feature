@docker @podman
Feature: PostgreSQL through a power cut keeps every committed row while fsync is on

  Scenario: Every committed row survives a power cut taken mid-load
    Given a power-loss volume "pg"
    And a container "db" from image "persistcheck/postgres:15"
    And "db" mounts volume "pg" at "/var/lib/postgresql/pl"
    And "db" has environment "PGDATA=/var/lib/postgresql/pl/data"
    And "db" is ready when healthy
    And "db" may take "2m" to become ready
    When the container "db" is started
    And I run "psql -c 'CREATE TABLE t (n int)'" in "db"
    And "db" starts running "psql -c 'INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "db" has acknowledged at least 50 records
    And I cut the power to "db"
    And I start the container "db"
    Then every acknowledged n is listed by "psql -Atc 'SELECT n FROM t'" in "db"
