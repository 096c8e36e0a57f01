package launch

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// dockerInfoTimeout bounds the "docker info" probe.
const dockerInfoTimeout = 15 * time.Second

// Available reports how simple_switch_grpc can run here, following
// cfg.Mode (ModeAuto: native first, then Docker), and a sentence saying what
// was found or, with ModeUnavailable, what was looked for and is missing.
// Docker counts only when its engine answers "docker info": a docker CLI
// with no engine behind it is reported as "no Docker engine".
func Available(ctx context.Context, cfg Config) (Mode, string) {
	cfg = cfg.withDefaults()
	var reasons []string
	if cfg.Mode == ModeAuto || cfg.Mode == ModeNative {
		p, err := exec.LookPath(cfg.Binary)
		if err == nil {
			return ModeNative, fmt.Sprintf("native %s at %s", cfg.Binary, p)
		}
		reasons = append(reasons, fmt.Sprintf("%s not found on PATH", cfg.Binary))
	}
	if cfg.Mode == ModeAuto || cfg.Mode == ModeDocker {
		ok, why := dockerEngine(ctx, cfg.Docker)
		if ok {
			return ModeDocker, why
		}
		reasons = append(reasons, why)
	}
	if cfg.Mode != ModeAuto && cfg.Mode != ModeNative && cfg.Mode != ModeDocker {
		reasons = append(reasons, fmt.Sprintf("mode %v is not a way to run", cfg.Mode))
	}
	return ModeUnavailable, strings.Join(reasons, "; ")
}

// dockerEngine says whether a Docker engine answers through the CLI.
func dockerEngine(ctx context.Context, docker string) (bool, string) {
	p, err := exec.LookPath(docker)
	if err != nil {
		return false, fmt.Sprintf("no %s CLI on PATH", docker)
	}
	ctx, cancel := context.WithTimeout(ctx, dockerInfoTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, p, "info", "--format", "{{.ServerVersion}}")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := firstLine(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return false, fmt.Sprintf("%s CLI found but no Docker engine answers (docker info: %s)", docker, msg)
	}
	return true, fmt.Sprintf("Docker engine %s via %s", strings.TrimSpace(stdout.String()), p)
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}
