@docker @podman
Feature: What a container keeps and loses through its lifecycle
  Each scenario takes the built-in workload through one lifecycle event and
  asserts a row of the ground truth (docs/design.md) for every kind of storage
  at once: the container layer, an image file changed in place, a named
  volume, a named volume seeded from the image, an anonymous volume from a
  mount, an anonymous volume from the image's VOLUME, a host folder and a
  tmpfs. Sentinels are written and fsynced from inside the container.

  Background:
    Given a volume "data"
    And a volume "seeded"
    And a host folder "shared"
    And a container "app" from image "persistcheck/app"
    And "app" mounts volume "data" at "/data"
    And "app" mounts volume "seeded" at "/seeded"
    And "app" mounts an anonymous volume at "/cache"
    And "app" mounts host folder "shared" at "/shared"
    And "app" mounts a tmpfs at "/scratch"
    When the container "app" is started
    And I write sentinels in "app":
      | sentinel     | path                |
      | layer        | /var/lib/app/s      |
      | image file   | /baked/version      |
      | volume       | /data/s             |
      | seeded       | /seeded/s           |
      | anonymous    | /cache/s            |
      | image volume | /anon/s             |
      | host folder  | /shared/s           |
      | tmpfs        | /scratch/s          |

  Scenario: A kill keeps all but the tmpfs, read while stopped and after a start
    When I kill the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | intact |
      | image file   | intact |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | intact |
      | image volume | intact |
      | host folder  | intact |
      | tmpfs        | gone   |
    When I start the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | intact |
      | image file   | intact |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | intact |
      | image volume | intact |
      | host folder  | intact |
      | tmpfs        | gone   |
    And the file "/seeded/version" in "app" contains "version-1"

  Scenario: A graceful stop and a start keep all but the tmpfs
    When I stop the container "app"
    And I start the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | intact |
      | image file   | intact |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | intact |
      | image volume | intact |
      | host folder  | intact |
      | tmpfs        | gone   |
    And the file "/seeded/version" in "app" contains "version-1"

  Scenario: A restart keeps all but the tmpfs
    When I restart the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | intact |
      | image file   | intact |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | intact |
      | image volume | intact |
      | host folder  | intact |
      | tmpfs        | gone   |

  Scenario: A SIGTERM stops the workload, and a start keeps all but the tmpfs
    When I kill the container "app" with "SIGTERM"
    And I start the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | intact |
      | volume       | intact |
      | anonymous    | intact |
      | tmpfs        | gone   |

  Scenario: A pause keeps everything, the tmpfs too, read while frozen and after
    When I pause the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | intact |
      | image file   | intact |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | intact |
      | image volume | intact |
      | host folder  | intact |
      | tmpfs        | intact |
    When I unpause the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | intact |
      | image file   | intact |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | intact |
      | image volume | intact |
      | host folder  | intact |
      | tmpfs        | intact |

  Scenario: A new container keeps named volumes and host folders, and nothing else
    When I remove the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | gone   |
      | anonymous    | gone   |
      | image volume | gone   |
      | tmpfs        | gone   |
      | volume       | intact |
      | seeded       | intact |
      | host folder  | intact |
    When I launch the container "app" again
    Then in "app" the sentinels are:
      | sentinel     | state     |
      | layer        | gone      |
      | image file   | corrupted |
      | volume       | intact    |
      | seeded       | intact    |
      | anonymous    | gone      |
      | image volume | gone      |
      | host folder  | intact    |
      | tmpfs        | gone      |
    And the file "/baked/version" in "app" contains "version-1"
    And the file "/seeded/version" in "app" contains "version-1"
    And the file "/anon/version" in "app" contains "version-1"

  Scenario: Removing with volumes never removes a named volume
    When I remove the container "app" with its volumes
    And I launch the container "app" again
    Then in "app" the sentinels are:
      | sentinel     | state     |
      | layer        | gone      |
      | image file   | corrupted |
      | volume       | intact    |
      | seeded       | intact    |
      | anonymous    | gone      |
      | image volume | gone      |
      | host folder  | intact    |
      | tmpfs        | gone      |
    And the file "/baked/version" in "app" contains "version-1"

  Scenario: A recreate is a new container
    When I recreate the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state     |
      | layer        | gone      |
      | image file   | corrupted |
      | volume       | intact    |
      | seeded       | intact    |
      | anonymous    | gone      |
      | image volume | gone      |
      | host folder  | intact    |
      | tmpfs        | gone      |

  Scenario: An upgrade shows the new image, except where a named volume hides it
    Given an image "persistcheck/app-v2" built from "fixtures/app-v2"
    When I upgrade the container "app" to image "persistcheck/app-v2"
    Then in "app" the sentinels are:
      | sentinel     | state     |
      | layer        | gone      |
      | image file   | corrupted |
      | volume       | intact    |
      | seeded       | intact    |
      | anonymous    | gone      |
      | image volume | gone      |
      | host folder  | intact    |
      | tmpfs        | gone      |
    And the file "/baked/version" in "app" contains "version-2"
    And the file "/anon/version" in "app" contains "version-2"
    # The volume was seeded from version 1 and its copy wins.
    And the file "/seeded/version" in "app" contains "version-1"
