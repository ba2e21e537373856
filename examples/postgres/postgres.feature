@docker @podman
Feature: PostgreSQL keeps every committed row, where its data is kept
  Each row is inserted by its own psql, which commits it: n is acknowledged
  when psql exits 0. A fault hits while it inserts; then every acknowledged
  row must still be there.

  Background:
    Given the services of "compose.yaml"
    And "db" is ready when healthy
    And "db" may take "2m" to become ready
    When the container "db" is started
    And I run "psql -c 'CREATE TABLE t (n int)'" in "db"

  Scenario: Every committed row survives a kill taken mid-load
    When "db" starts running "psql -c 'INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "db" has acknowledged at least 50 records
    And I kill the container "db"
    And I start the container "db"
    Then every acknowledged n is listed by "psql -Atc 'SELECT n FROM t'" in "db"

  Scenario: Committed rows on the named volume survive a recreate
    When I run "psql -c 'INSERT INTO t VALUES ({n})'" in "db" for n from 1 to 50
    And I recreate the container "db"
    Then every acknowledged n is listed by "psql -Atc 'SELECT n FROM t'" in "db"

  Scenario: With fsync=off a kill still keeps every row: the page cache is the host's
    Given "db" runs "postgres -c fsync=off"
    When I recreate the container "db"
    And I run "psql -Atc 'SHOW fsync'" in "db"
    Then the output is "off"
    When "db" starts running "psql -c 'INSERT INTO t VALUES ({n})'" for n from 1 upward
    And "db" has acknowledged at least 50 records
    And I kill the container "db"
    And I start the container "db"
    Then every acknowledged n is listed by "psql -Atc 'SELECT n FROM t'" in "db"

  Scenario: Without a named volume the data goes to the image's anonymous VOLUME, and a recreate loses it
    Given a container "bare" from image "persistcheck/postgres:15"
    And "bare" is ready when healthy
    And "bare" may take "2m" to become ready
    When the container "bare" is started
    And I run "psql -c 'CREATE TABLE t (n int)'" in "bare"
    And I run "psql -c 'INSERT INTO t VALUES ({n})'" in "bare" for n from 1 to 50
    And I recreate the container "bare"
    And I run "psql -Atc 'SELECT n FROM t'" in "bare"
    Then the command fails
