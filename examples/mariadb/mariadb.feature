@docker @podman
Feature: MariaDB with innodb_flush_log_at_trx_commit=1 keeps every committed row

  Background:
    Given the services of "compose.yaml"
    And "db" is ready when healthy
    And "db" may take "2m" to become ready
    When the container "db" is started
    And I run "mariadb -e 'CREATE TABLE t (n int) ENGINE=InnoDB'" in "db"

  Scenario: Every committed row survives a kill taken mid-load
    When "db" starts running "mariadb -e 'INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "db" has acknowledged at least 200 records
    And I kill the container "db"
    And I start the container "db"
    Then every acknowledged n is listed by "mariadb -N -e 'SELECT n FROM t'" in "db"
