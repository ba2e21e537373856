@docker @podman
Feature: The release candidate keeps its data
  Run against the image a release is about to ship:

    APP_IMAGE=myapp:candidate PREVIOUS_IMAGE=myapp:1.4 APP_DATA=/var/lib/myapp \
      persistcheck run --format progress,junit:report.xml examples/release-gate

  APP_DATA is where the application keeps its data; PREVIOUS_IMAGE the
  release in production, from which the candidate must take over the data.

  Background:
    Given a volume "data"
    And a container "app" from image "${PREVIOUS_IMAGE:-${APP_IMAGE}}"
    And "app" mounts volume "data" at "${APP_DATA:-/data}"
    When the container "app" is started

  Scenario: Data on the volume survives a crash, a new container and the upgrade to the candidate
    When I write a sentinel "data" to "${APP_DATA:-/data}/persistcheck-gate" in "app"
    And I kill the container "app"
    And I start the container "app"
    Then the sentinel "data" is intact in "app"
    When I recreate the container "app"
    Then the sentinel "data" is intact in "app"
    When I upgrade the container "app" to image "${APP_IMAGE}"
    Then the sentinel "data" is intact in "app"

  Scenario: Every acknowledged write to the volume survives crashes taken while writing
    When I upgrade the container "app" to image "${APP_IMAGE}"
    And "app" starts appending records to "${APP_DATA:-/data}/persistcheck-gate.log"
    And "app" has acknowledged at least 100 records
    And I kill and start the container "app" 3 times
    Then every acknowledged record in "${APP_DATA:-/data}/persistcheck-gate.log" is intact in "app"
