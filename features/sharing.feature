@docker @podman
Feature: Containers that share storage see each other's writes
  A sentinel written to a named volume or a host folder is looked for in
  another container where that container mounts the same storage, at
  whatever path.

  Background:
    Given a volume "data"
    And a host folder "shared"
    And a container "writer" from image "persistcheck/app"
    And "writer" mounts volume "data" at "/data"
    And "writer" mounts host folder "shared" at "/shared"
    And a container "reader" from image "persistcheck/app"
    And "reader" mounts volume "data" at "/mnt/data"
    And "reader" mounts host folder "shared" at "/srv/shared"
    When the container "writer" is started
    And the container "reader" is started
    And I write sentinels in "writer":
      | sentinel | path                  |
      | volume   | /data/deep/down/s     |
      | folder   | /shared/s             |
      | layer    | /var/lib/writer/s     |

  Scenario: The reader sees the writer's volume and folder, not its layer
    Then in "reader" the sentinels are:
      | sentinel | state  |
      | volume   | intact |
      | folder   | intact |
      | layer    | gone   |

  Scenario: Shared storage outlives the writer, removed with its volumes
    When I remove the container "writer" with its volumes
    Then the sentinel "volume" is intact in "reader"
    And the sentinel "folder" is intact in "reader"
