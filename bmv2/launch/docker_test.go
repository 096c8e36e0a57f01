package launch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeDockerScript stands in for the docker CLI: it records each call and
// acts out the few commands launch uses. "run" execs the test binary as the
// fake simple_switch_grpc (the argv after the image and binary name), so the
// container's process is the CLI's process, as with a foreground docker run.
const fakeDockerScript = `#!/bin/sh
echo "$*" >> "$FAKE_DOCKER_DIR/calls"
case "$1" in
info)
	if [ -n "$FAKE_DOCKER_NO_ENGINE" ]; then
		echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
		exit 1
	fi
	echo "28.2.2"; exit 0 ;;
image)
	[ -f "$FAKE_DOCKER_DIR/pulled" ] && exit 0
	echo "Error: No such image" >&2; exit 1 ;;
pull)
	touch "$FAKE_DOCKER_DIR/pulled"; echo "pulled $2"; exit 0 ;;
run)
	shift
	name=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--name) name="$2"; shift 2 ;;
		-v|--network) shift 2 ;;
		--*) shift ;;
		*) break ;;
		esac
	done
	shift 2 # image, simple_switch_grpc
	echo $$ > "$FAKE_DOCKER_DIR/$name.pid"
	exec "$FAKE_SELF" "$@" ;;
stop)
	kill -TERM "$(cat "$FAKE_DOCKER_DIR/$4.pid")"; echo "$4"; exit 0 ;;
rm)
	kill -KILL "$(cat "$FAKE_DOCKER_DIR/$3.pid")" 2>/dev/null; echo "$3"; exit 0 ;;
esac
echo "fake docker: unknown command $1" >&2
exit 1
`

// fakeDocker installs the fake docker CLI in a fresh directory and returns
// the directory (its calls are logged in dir/calls).
func fakeDocker(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(fakeDockerScript), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_DOCKER_DIR", dir)
	t.Setenv("FAKE_SELF", self)
	return dir
}

func dockerCalls(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestStartStopDocker runs the Docker path against the fake CLI: the image is
// pulled when absent, the container runs in the foreground with the JSON
// mounted, and Stop uses docker stop.
func TestStartStopDocker(t *testing.T) {
	dir := fakeDocker(t)
	cfg := fakeConfig(t, "serve")
	cfg.Mode = ModeDocker
	cfg.Docker = filepath.Join(dir, "docker")
	cfg.Image = "example/bmv2:test"
	cfg.ContainerName = "lime-test-s7"
	js := filepath.Join(t.TempDir(), "prog.json")
	if err := os.WriteFile(js, []byte(`{"pipelines": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.JSON = js
	s, err := Start(startCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode() != ModeDocker {
		t.Errorf("mode %v", s.Mode())
	}
	log, err := os.ReadFile(s.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `"/lime/program/prog.json"`) {
		t.Errorf("the switch in the container was not given the mounted JSON: %s", log)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	calls := dockerCalls(t, dir)
	want := []string{
		"image inspect --format {{.Id}} example/bmv2:test",
		"pull example/bmv2:test",
		"run --rm --init --privileged --network host --name lime-test-s7 -v " + js + ":/lime/program/prog.json:ro -v " +
			filepath.Dir(cfg.LogFile) + ":" + filepath.Dir(cfg.LogFile) + " example/bmv2:test simple_switch_grpc",
		"stop -t 2 lime-test-s7",
	}
	if len(calls) != len(want) {
		t.Fatalf("docker calls %q, want %d calls", calls, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(calls[i], want[i]) {
			t.Errorf("docker call %d: %q, want it to start with %q", i, calls[i], want[i])
		}
	}
}

// TestStopDockerEscalates checks that a container whose switch ignores
// docker stop is removed with docker rm -f.
func TestStopDockerEscalates(t *testing.T) {
	dir := fakeDocker(t)
	if err := os.WriteFile(filepath.Join(dir, "pulled"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fakeConfig(t, "ignore-term")
	cfg.Mode, cfg.Docker, cfg.ContainerName = ModeDocker, filepath.Join(dir, "docker"), "lime-test-stubborn"
	cfg.StopTimeout = 500 * time.Millisecond
	s, err := Start(startCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	calls := dockerCalls(t, dir)
	if n := len(calls); n < 2 || calls[n-2] != "stop -t 1 lime-test-stubborn" || calls[n-1] != "rm -f lime-test-stubborn" {
		t.Errorf("docker calls %q, want stop then rm -f at the end", calls)
	}
}

// TestAvailable checks the detection with a PATH the test controls: a native
// binary wins; a docker CLI counts only when "docker info" succeeds; the
// reason names what was looked for.
func TestAvailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// What this machine has, for the record (CI: a docker CLI, no engine).
	mode, why := Available(ctx, Config{})
	t.Logf("this machine: %v (%s)", mode, why)

	native := t.TempDir()
	if err := os.WriteFile(filepath.Join(native, "simple_switch_grpc"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		name     string
		path     func(dockerDir string) string
		noEngine bool
		cfg      Config
		want     Mode
		reason   []string
	}{
		{"nothing", func(string) string { return empty }, false, Config{}, ModeUnavailable,
			[]string{"simple_switch_grpc not found on PATH", "no docker CLI on PATH"}},
		{"docker CLI without engine", func(d string) string { return d }, true, Config{}, ModeUnavailable,
			[]string{"simple_switch_grpc not found on PATH", "docker CLI found but no Docker engine answers", "Cannot connect to the Docker daemon"}},
		{"docker engine", func(d string) string { return d }, false, Config{}, ModeDocker,
			[]string{"Docker engine 28.2.2"}},
		{"native first", func(d string) string { return native + ":" + d }, false, Config{}, ModeNative,
			[]string{"native simple_switch_grpc at " + filepath.Join(native, "simple_switch_grpc")}},
		{"docker forced", func(d string) string { return native + ":" + d }, true, Config{Mode: ModeDocker}, ModeUnavailable,
			[]string{"no Docker engine"}},
		{"native forced", func(d string) string { return d }, false, Config{Mode: ModeNative}, ModeUnavailable,
			[]string{"simple_switch_grpc not found on PATH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeDocker(t)
			t.Setenv("PATH", tc.path(dir))
			if tc.noEngine {
				t.Setenv("FAKE_DOCKER_NO_ENGINE", "1")
			}
			mode, why := Available(ctx, tc.cfg)
			if mode != tc.want {
				t.Errorf("mode %v (%s), want %v", mode, why, tc.want)
			}
			for _, r := range tc.reason {
				if !strings.Contains(why, r) {
					t.Errorf("reason %q lacks %q", why, r)
				}
			}
		})
	}
}
