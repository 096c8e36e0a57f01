package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lime-p4/lime/migrator/proxy"
)

// Plan is a network migration: every virtual device to move, and the host
// groups in the order they move. It travels as JSON (lime migrate --plan to
// lime proxy) and is kept in the journal.
type Plan struct {
	// File names where the plan was read from, for messages.
	File string `json:"file,omitempty"`
	// Parallel bounds the device steps that run at once (default 4).
	Parallel int      `json:"parallel,omitempty"`
	Devices  []Device `json:"devices"`
	// Groups are the host groups, in the order they move; Parse fills the
	// default (one group per device, in plan order) when the file has none.
	Groups []Group `json:"groups"`
	// GroupLines are the file lines of the groups' hosts (none: defaulted).
	GroupLines [][]int `json:"group_lines,omitempty"`
	// PauseAfter are the groups (from 1) after which the plan stops and
	// waits (lime migrate --retry goes on): a canary group to check, or a
	// last look before the cut over.
	PauseAfter     []int `json:"pause_after,omitempty"`
	PauseAfterLine int   `json:"pause_after_line,omitempty"`
	// Settle is how long a host's new port is up, at least, before its
	// old port goes down: the time the hosts take to move their traffic
	// to a link that comes up (a bond's updelay).
	Settle Duration `json:"settle,omitempty"`
}

// Duration is a time.Duration written as "300ms" in the file.
type Duration time.Duration

// Duration is d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads "300ms", "1s", ...
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is no duration (say 300ms or 1s)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// DefaultParallel bounds the device steps that run at once when a plan
// does not say.
const DefaultParallel = 4

// Device is one virtual device of a plan and where it goes.
type Device struct {
	// VID is the virtual device's id at the proxy.
	VID uint64 `json:"vid"`
	// To is the target switch.
	To Endpoint `json:"to"`
	// From reaches the source switch's gNMI and Thrift (its P4Runtime is
	// the proxy's).
	From Source `json:"from"`
	// Pipeline is the folder of the target's own compilation of the
	// program, as written in the file ("" when the target runs it already);
	// PipelineConfig is what the client loaded from it.
	Pipeline       string           `json:"pipeline,omitempty"`
	PipelineConfig *PipelineContent `json:"pipeline_config,omitempty"`
	// Ports map every virtual port to the target's.
	Ports map[uint64]uint64 `json:"ports"`
	// Hosts are the ports whose hosts move.
	Hosts []uint64 `json:"hosts,omitempty"`
	// Links are the ports that join another device of the plan, with the
	// peer's end.
	Links map[uint64]Ref `json:"links,omitempty"`
	// CPU are the CPU ports: mapped, never moved.
	CPU []uint64 `json:"cpu,omitempty"`
	// Trunk joins the source and the target while both carry traffic.
	Trunk *proxy.Trunk `json:"trunk"`
	// Force allows a target that holds state already.
	Force bool `json:"force,omitempty"`
	// Lines are where the device was written.
	Lines Lines `json:"lines"`
}

// Endpoint reaches a target switch.
type Endpoint struct {
	Addr     string `json:"addr" yaml:"addr"`
	DeviceID uint64 `json:"device_id" yaml:"device_id"`
	GNMI     string `json:"gnmi,omitempty" yaml:"gnmi"`
	Thrift   string `json:"thrift,omitempty" yaml:"thrift"`
}

// Source reaches what the proxy does not of a source switch.
type Source struct {
	GNMI   string `json:"gnmi,omitempty" yaml:"gnmi"`
	Thrift string `json:"thrift,omitempty" yaml:"thrift"`
}

// PipelineContent is a compiled program: P4Info (text or binary) and the
// device config (the bmv2 JSON, say).
type PipelineContent struct {
	P4Info       []byte `json:"p4info"`
	DeviceConfig []byte `json:"device_config"`
}

// Lines are the file lines of a device's parts (0: not in the file).
type Lines struct {
	Device   int            `json:"device,omitempty"`
	To       int            `json:"to,omitempty"`
	Pipeline int            `json:"pipeline,omitempty"`
	Ports    int            `json:"ports,omitempty"`
	Port     map[uint64]int `json:"port,omitempty"`
	Hosts    int            `json:"hosts,omitempty"`
	Links    int            `json:"links,omitempty"`
	Link     map[uint64]int `json:"link,omitempty"`
	CPU      int            `json:"cpu,omitempty"`
	Trunk    int            `json:"trunk,omitempty"`
}

// Ref names a port of a device of the plan, "vid:port".
type Ref struct {
	Device uint64 `json:"device"`
	Port   uint64 `json:"port"`
}

func (r Ref) String() string { return fmt.Sprintf("%d:%d", r.Device, r.Port) }

// ParseRef reads "vid:port".
func ParseRef(s string) (Ref, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), ":")
	d, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
	p, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return Ref{}, fmt.Errorf("%q is not VID:PORT", s)
	}
	return Ref{Device: d, Port: p}, nil
}

// Group is a host group: hosts (on any devices) that move together.
type Group []Ref

// DefaultCPUPort is the CPU port of a device whose plan names none, when
// it maps it (as lime migrate's --cpu-port).
const DefaultCPUPort = 255

// Where is "FILE:LINE" for messages ("FILE" without a line, "" without a
// file).
func (p *Plan) Where(line int) string {
	f := p.File
	if f == "" {
		f = "plan"
	}
	if line <= 0 {
		return f
	}
	return fmt.Sprintf("%s:%d", f, line)
}

// Device returns the plan's device vid, or nil.
func (p *Plan) Device(vid uint64) *Device {
	for i := range p.Devices {
		if p.Devices[i].VID == vid {
			return &p.Devices[i]
		}
	}
	return nil
}

// PortMap is the device's port map as FROM=TO pairs.
func (d *Device) PortMap() string {
	var b strings.Builder
	for _, p := range sortedKeys(d.Ports) {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d=%d", p, d.Ports[p])
	}
	return b.String()
}

// LinkPorts are the device's link ports, sorted.
func (d *Device) LinkPorts() []uint64 { return sortedKeys(d.Links) }

// the file's shape, decoded strictly (unknown keys are errors).
type fileDevice struct {
	VID      uint64            `yaml:"vid"`
	To       Endpoint          `yaml:"to"`
	From     Source            `yaml:"from"`
	Pipeline string            `yaml:"pipeline"`
	Ports    map[uint64]uint64 `yaml:"ports"`
	Hosts    []uint64          `yaml:"hosts"`
	Links    map[uint64]string `yaml:"links"`
	CPU      portList          `yaml:"cpu"`
	Trunk    string            `yaml:"trunk"`
	Force    bool              `yaml:"force"`
}

type filePlan struct {
	Parallel   int          `yaml:"parallel"`
	Settle     Duration     `yaml:"settle"`
	PauseAfter []int        `yaml:"pause_after"`
	Pipeline   string       `yaml:"pipeline"`
	Devices    []fileDevice `yaml:"devices"`
	Groups     [][]string   `yaml:"groups"`
}

// portList is a port or a list of ports.
type portList []uint64

func (l *portList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var p uint64
		if err := n.Decode(&p); err != nil {
			return err
		}
		*l = portList{p}
		return nil
	}
	var ps []uint64
	if err := n.Decode(&ps); err != nil {
		return err
	}
	*l = ps
	return nil
}

// Load reads and parses a plan file; relative pipeline folders are taken
// from the file's folder.
func Load(file string) (*Plan, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	p, err := Parse(data, file)
	if err != nil {
		return nil, err
	}
	for i := range p.Devices {
		if d := &p.Devices[i]; d.Pipeline != "" && !filepath.IsAbs(d.Pipeline) {
			d.Pipeline = filepath.Join(filepath.Dir(file), d.Pipeline)
		}
	}
	return p, nil
}

// Parse reads a plan (YAML) and validates it whole (Validate); name names
// it in messages. Every problem is reported, each with its file line.
func Parse(data []byte, name string) (*Plan, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var fp filePlan
	if err := dec.Decode(&fp); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the plan is empty", name)
		}
		return nil, yamlError(name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(name, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	p := &Plan{File: name, Parallel: fp.Parallel, PauseAfter: fp.PauseAfter, PauseAfterLine: line(value(doc, "pause_after")), Settle: fp.Settle}
	var probs problems
	devNodes := seq(value(doc, "devices"))
	for i, fd := range fp.Devices {
		var n *yaml.Node
		if i < len(devNodes) {
			n = devNodes[i]
		}
		d := Device{VID: fd.VID, To: fd.To, From: fd.From, Pipeline: fd.Pipeline, Ports: fd.Ports, Hosts: fd.Hosts,
			CPU: fd.CPU, Force: fd.Force, Lines: deviceLines(n)}
		if d.Pipeline == "" {
			d.Pipeline = fp.Pipeline
			d.Lines.Pipeline = line(value(doc, "pipeline"))
		}
		if d.To.DeviceID == 0 {
			d.To.DeviceID = 1
		}
		if len(fd.Links) > 0 {
			d.Links = map[uint64]Ref{}
			for _, lp := range sortedKeys(fd.Links) {
				r, err := ParseRef(fd.Links[lp])
				if err != nil {
					probs.add(p.Where(d.Lines.link(lp)), "device %d: link %d: the peer %v", fd.VID, lp, err)
					continue
				}
				d.Links[lp] = r
			}
		}
		if fd.Trunk != "" {
			t, err := ParseTrunk(fd.Trunk)
			if err != nil {
				probs.add(p.Where(d.Lines.Trunk), "device %d: %v", fd.VID, err)
			}
			d.Trunk = t
		}
		p.Devices = append(p.Devices, d)
	}
	groupNodes := seq(value(doc, "groups"))
	for i, g := range fp.Groups {
		var items []*yaml.Node
		gl := 0
		if i < len(groupNodes) {
			items, gl = seq(groupNodes[i]), groupNodes[i].Line
		}
		var grp Group
		var lines []int
		for j, s := range g {
			l := gl
			if j < len(items) {
				l = items[j].Line
			}
			r, err := ParseRef(s)
			if err != nil {
				probs.add(p.Where(l), "group %d: host %v", i+1, err)
				continue
			}
			grp, lines = append(grp, r), append(lines, l)
		}
		if len(g) == 0 {
			lines = []int{gl} // where the empty group is
		}
		p.Groups = append(p.Groups, grp)
		p.GroupLines = append(p.GroupLines, lines)
	}
	if len(fp.Groups) == 0 {
		p.defaultGroups()
	}
	if len(probs) == 0 {
		probs = p.validate()
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// defaultGroups moves the hosts device by device: a group per device.
func (p *Plan) defaultGroups() {
	p.Groups, p.GroupLines = nil, nil
	for _, d := range p.Devices {
		if len(d.Hosts) == 0 {
			continue
		}
		var g Group
		for _, h := range d.Hosts {
			g = append(g, Ref{Device: d.VID, Port: h})
		}
		p.Groups = append(p.Groups, g)
	}
}

// ParseTrunk reads "SOURCE=TARGET".
func ParseTrunk(s string) (*proxy.Trunk, error) {
	a, b, ok := strings.Cut(s, "=")
	sp, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
	tp, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("trunk %q: want SOURCE_PORT=TARGET_PORT", s)
	}
	return &proxy.Trunk{Source: sp, Target: tp}, nil
}

var (
	yamlLine    = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknown = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// yamlError turns a decoder's message into "NAME:LINE: what" lines.
func yamlError(name string, err error) error {
	var ps problems
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "yaml: unmarshal errors:" {
			continue
		}
		m := yamlLine.FindStringSubmatch(l)
		if m == nil {
			ps = append(ps, name+": "+strings.TrimPrefix(l, "yaml: "))
			continue
		}
		msg := m[2]
		if u := yamlUnknown.FindStringSubmatch(msg); u != nil {
			msg = fmt.Sprintf("unknown key %q", u[1])
		}
		ps = append(ps, fmt.Sprintf("%s:%s: %s", name, m[1], msg))
	}
	return ps.err()
}

func deviceLines(n *yaml.Node) Lines {
	if n == nil {
		return Lines{}
	}
	l := Lines{Device: n.Line, To: line(value(n, "to")), Pipeline: line(value(n, "pipeline")), Ports: line(value(n, "ports")),
		Hosts: line(value(n, "hosts")), Links: line(value(n, "links")), CPU: line(value(n, "cpu")), Trunk: line(value(n, "trunk")),
		Port: keyLines(value(n, "ports")), Link: keyLines(value(n, "links"))}
	return l
}

func (l Lines) port(p uint64) int {
	if n := l.Port[p]; n > 0 {
		return n
	}
	return l.Ports
}

func (l Lines) link(p uint64) int {
	if n := l.Link[p]; n > 0 {
		return n
	}
	return l.Links
}

// value is the value of key in mapping node n, or nil.
func value(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// keyLines gives the line of each numeric key of a mapping node.
func keyLines(n *yaml.Node) map[uint64]int {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := map[uint64]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, err := strconv.ParseUint(n.Content[i].Value, 0, 64); err == nil {
			out[k] = n.Content[i].Line
		}
	}
	return out
}

// problems collects what is wrong with a plan, each with its place.
type problems []string

func (ps *problems) add(where, format string, args ...any) {
	*ps = append(*ps, where+": "+fmt.Sprintf(format, args...))
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &InvalidError{Problems: ps}
}

// InvalidError is a plan that does not hold together; Problems are
// "FILE:LINE: what".
type InvalidError struct{ Problems []string }

func (e *InvalidError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid plan: " + e.Problems[0]
	}
	return fmt.Sprintf("invalid plan (%d problems):\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}
