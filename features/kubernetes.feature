@kubernetes
Feature: What a pod keeps and loses on Kubernetes
  On Kubernetes each container is a pod of one container in the run's own
  namespace: a volume is a PersistentVolumeClaim, an anonymous volume an
  emptyDir, a tmpfs an emptyDir in memory, a host folder a hostPath. A
  crashed container comes back in the same pod as a new container, from a
  fresh layer, but with the pod's emptyDirs; deleting the pod takes those
  with it; claims and hostPaths outlive pods; and no volume is ever seeded
  from the image. Run with: persistcheck run --engine kubernetes

  Background:
    Given a volume "data"
    And a volume "seeded"
    And a host folder "shared"
    And a container "app" from image "persistcheck/app"
    And "app" restarts on failure
    And "app" mounts volume "data" at "/data"
    And "app" mounts volume "seeded" at "/seeded"
    And "app" mounts an anonymous volume at "/cache"
    And "app" mounts host folder "shared" at "/shared"
    And "app" mounts a tmpfs at "/scratch"
    When the container "app" is started
    And I write sentinels in "app":
      | sentinel     | path           |
      | layer        | /var/lib/app/s |
      | image file   | /baked/version |
      | volume       | /data/s        |
      | seeded       | /seeded/s      |
      | anonymous    | /cache/s       |
      | image volume | /anon/s        |
      | host folder  | /shared/s      |
      | tmpfs        | /scratch/s     |

  Scenario: A crash restarts the container in its pod: a fresh layer, the pod's emptyDirs kept, memory ones too
    When the main process of "app" crashes
    Then in "app" the sentinels are:
      | sentinel     | state     |
      | layer        | gone      |
      | image file   | corrupted |
      | volume       | intact    |
      | seeded       | intact    |
      | anonymous    | intact    |
      | image volume | gone      |
      | host folder  | intact    |
      | tmpfs        | intact    |
    And the file "/baked/version" in "app" contains "version-1"

  Scenario: A recreate is a new pod: its emptyDirs go with the old one, claims and hostPaths stay
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
    # A VOLUME of the image is no volume on Kubernetes: its files are the layer's.
    And the file "/anon/version" in "app" contains "version-1"

  Scenario: A deleted pod's claims and hostPaths are read by a pod of their own, then a new pod finds them
    When I remove the container "app"
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | gone   |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | gone   |
      | host folder  | intact |
      | tmpfs        | gone   |
    When I launch the container "app" again
    Then in "app" the sentinels are:
      | sentinel     | state  |
      | layer        | gone   |
      | volume       | intact |
      | seeded       | intact |
      | anonymous    | gone   |
      | host folder  | intact |
      | tmpfs        | gone   |

  Scenario: An upgrade is a new pod of the new image; a claim is never seeded from either
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
    # Docker would have copied the image's /seeded into the empty volume.
    And the file "/seeded/version" in "app" does not exist

  Scenario: A crash under a restart policy keeps every acknowledged record in a claim
    When "app" starts appending records to "/data/log"
    And "app" has acknowledged at least 100 records
    And the main process of "app" crashes
    Then every acknowledged record in "/data/log" is intact in "app"

  Scenario: Readiness probes: the image's HEALTHCHECK and a port that listens
    Given a container "web" built from "fixtures/healthy"
    And "web" is ready when healthy
    And a container "api" built from "fixtures/healthy"
    And "api" is ready when port "8080" listens
    When the container "web" is started
    And the container "api" is started
    Then the file "/baked/version" in "web" contains "version-1"
    And the file "/baked/version" in "api" contains "version-1"

  Scenario: Without a restart policy a crash ends the pod's container; its claims and emptyDirs are still there
    Given a container "solo" from image "persistcheck/app"
    And "solo" mounts volume "data" at "/data"
    And "solo" mounts an anonymous volume at "/cache"
    And "solo" mounts a tmpfs at "/scratch"
    When the container "solo" is started
    And I write sentinels in "solo":
      | sentinel | path       |
      | claim    | /data/solo |
      | dir      | /cache/s   |
      | memory   | /scratch/s |
    And the main process of "solo" crashes
    Then in "solo" the sentinels are:
      | sentinel | state  |
      | claim    | intact |
      | dir      | intact |
      | memory   | intact |
