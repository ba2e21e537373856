package harness

import "testing"

func TestEngineTags(t *testing.T) {
	for _, c := range []struct{ user, kind, want string }{
		{"", DockerKind, "@docker,~@podman && ~@kubernetes"},
		{"", KubernetesKind, "@kubernetes,~@docker && ~@podman"},
		{"@fast && ~@slow", PodmanKind, "@fast && ~@slow && @podman,@fast && ~@slow && ~@docker && ~@kubernetes"},
		{"@a,@b", DockerKind, "@a && @docker,@a && ~@podman && ~@kubernetes,@b && @docker,@b && ~@podman && ~@kubernetes"},
	} {
		if got := AndTags(c.user, EngineTags(c.kind)); got != c.want {
			t.Errorf("AndTags(%q, EngineTags(%s)) = %q, want %q", c.user, c.kind, got, c.want)
		}
	}
}
