@docker @podman
Feature: Images built from folders, commands and readiness
  Scenarios bring their own images, built from Dockerfile folders next to
  the feature file, run commands inside containers without a shell, and say
  when a container is ready.

  Scenario: A container from a Dockerfile folder keeps its volume across a recreate
    Given a volume "state"
    And a container "app" built from "fixtures/myapp"
    And "app" mounts volume "state" at "/var/lib/myapp"
    When the container "app" is started
    Then the file "/etc/app.conf" in "app" contains "mode=strict"
    When I write a sentinel "state" to "/var/lib/myapp/state" in "app"
    And I recreate the container "app"
    Then the sentinel "state" is intact in "app"
    And the file "/etc/app.conf" in "app" contains "port=8080"

  Scenario: Commands run inside the container, and their results are checked
    Given a container "app" from image "${PERSISTCHECK_IMAGE:-persistcheck/app}"
    And "app" has environment "MODE=strict"
    And "app" has a memory limit of "64m"
    When the container "app" is started
    And I run "/.persistcheck/agent getenv MODE" in "app"
    Then the command succeeds
    And the output is "strict"
    When I run "/.persistcheck/agent getenv NOT_SET_ANYWHERE" in "app"
    Then the command fails
    When I run "/.persistcheck/agent write /tmp/note 'two words'" in "app"
    Then the command succeeds
    And the output contains "\"size\":9"
    And the file "/tmp/note" in "app" contains "two words"
    And the file "/tmp/other" in "app" does not exist

  Scenario: Readiness by log waits for a new line after every start
    Given a container "app" from image "persistcheck/app"
    And "app" runs "serve"
    And "app" is ready when its log shows "persistcheck-agent: ready"
    When the container "app" is started
    And I restart the container "app"
    And I stop the container "app"
    And I start the container "app"
    And I write a sentinel "s" to "/s" in "app"
    Then the sentinel "s" is intact in "app"

  Scenario: Readiness by a command that succeeds
    Given a container "app" from image "persistcheck/app"
    And "app" is ready when "/.persistcheck/agent read /baked/version" succeeds
    When the container "app" is started
    And I kill the container "app"
    And I start the container "app"
    Then the file "/baked/version" in "app" contains "version-1"

  Scenario: Readiness by a port that listens inside the container
    Given a container "app" built from "fixtures/healthy"
    And "app" is ready when port "8080" listens
    When the container "app" is started
    And I restart the container "app"
    Then the file "/baked/version" in "app" contains "version-1"

  Scenario: Readiness by the image's own HEALTHCHECK, with a deadline of its own
    Given a container "app" built from "fixtures/healthy"
    And "app" is ready when healthy
    And "app" may take "30s" to become ready
    When the container "app" is started
    And I stop the container "app"
    And I start the container "app"
    Then the file "/baked/version" in "app" contains "version-1"
