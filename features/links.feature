@docker @podman
Feature: Data written through a symbolic link lives where the link points
  The kernel follows links, so the text of a path does not say where its data
  lives. The built-in image ships three links: /data-link -> /data, where
  these scenarios mount a volume; /var/lib/rel -> ../../seeded/, relative;
  and /seeded/out -> /baked, which the engine copies into the volume seeded
  at /seeded, so that it leads out of the volume into the container's layer.
  Each sentinel is judged by where it landed: on a volume, it outlives the
  container; in the layer, it goes with it.

  Background:
    Given a volume "data"
    And a volume "seeded"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    And "app" mounts volume "seeded" at "/seeded"
    And a container "reader" from image "persistcheck/app"
    And "reader" mounts volume "data" at "/mnt/data"
    And "reader" mounts volume "seeded" at "/mnt/seeded"
    When the container "app" is started
    And the container "reader" is started
    And I write sentinels in "app":
      | sentinel | path           |
      | into     | /data-link/s   |
      | relative | /var/lib/rel/s |
      | out      | /seeded/out/s  |

  Scenario: A removed container's volumes still hold what was written through links into them
    When I remove the container "app"
    Then in "app" the sentinels are:
      | sentinel | state  |
      | into     | intact |
      | relative | intact |
      | out      | gone   |
    And in "reader" the sentinels are:
      | sentinel | state  |
      | into     | intact |
      | relative | intact |
      | out      | gone   |
    When I launch the container "app" again
    Then in "app" the sentinels are:
      | sentinel | state  |
      | into     | intact |
      | relative | intact |
      | out      | gone   |

  Scenario: A link out of a volume keeps its data in the layer while the container lives
    When I kill the container "app"
    Then the sentinel "out" is intact in "app"
    When I start the container "app"
    Then in "app" the sentinels are:
      | sentinel | state  |
      | into     | intact |
      | relative | intact |
      | out      | intact |
    When I recreate the container "app"
    Then the sentinel "out" is gone from "app"
    And the sentinel "into" is intact in "app"
    And the file "/seeded/out/s" in "app" does not exist
