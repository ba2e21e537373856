@docker @podman
Feature: A power cut keeps only what was made durable
  A kill leaves the host's page cache alone, so a write that was never
  fsynced survives it. A power-loss volume is a file system the harness
  serves on the engine's host: it holds what was not made durable in memory,
  and "I cut the power" kills the container and throws that away, as a
  rebooted disk would show it. By default a new name becomes durable with
  the next fsync of anything, as ext4 behaves; a strict volume only makes it
  durable with an fsync of its folder.

  Background:
    Given a power-loss volume "data"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    When the container "app" is started

  Scenario: Appends fsynced before they are acknowledged survive a power cut
    When "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 200 records
    And I cut the power to "app"
    And I start the container "app"
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: Appends without fsync survive a kill: the page cache outlives it
    When "app" starts appending records to "/data/log" without fsync
    And "app" has acknowledged at least 200 records
    And I kill the container "app"
    And I start the container "app"
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: A torn last write leaves every fsynced record intact
    When I write a sentinel "s" to "/data/deep/s" in "app"
    And "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 100 records
    And I cut the power to "app" tearing the last write
    And I start the container "app"
    Then the sentinel "s" is intact in "app"
    And every acknowledged record in "/data/log" is intact in "app"

  Scenario: A strict volume keeps a name its folder's fsync made durable
    Given a strict power-loss volume "strict"
    And "app" mounts volume "strict" at "/strict"
    When I recreate the container "app"
    And I write a sentinel "s" to "/strict/new/s" in "app"
    And I cut the power to "app"
    And I recreate the container "app"
    Then the sentinel "s" is intact in "app"
