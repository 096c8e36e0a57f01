package topo

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/lime-p4/lime/bmv2/sim/p4rt"
)

// Topology is a network of simulated switches.
type Topology struct {
	// Profile is the default profile of the devices ("bmv2" or "spec").
	Profile string `yaml:"profile"`
	// Pipeline is the default pipeline of the devices.
	Pipeline string   `yaml:"pipeline"`
	Devices  []Device `yaml:"devices"`
	Links    []Link   `yaml:"links"`

	// dir is the folder relative pipeline paths start from.
	dir string
}

// Device is one switch.
type Device struct {
	Name     string `yaml:"name"`
	DeviceID uint64 `yaml:"device_id"`
	// P4Runtime is the address P4Runtime and gNMI listen on (host:port).
	P4Runtime string `yaml:"p4runtime"`
	// Thrift, when set, is the address of bmv2's Thrift runtime API.
	Thrift string `yaml:"thrift"`
	// Profile overrides the topology's profile.
	Profile string `yaml:"profile"`
	// CPUPort is the CPU port; 0 takes the pipeline's cpu_port.txt, else
	// 255 (the CPU port of ONOS's pipelines and of lime_l2).
	CPUPort uint32 `yaml:"cpu_port"`
	// Pipeline overrides the topology's pipeline: a folder with a bmv2
	// JSON and a P4Info, the name of one of lime's programs, or "none".
	Pipeline string `yaml:"pipeline"`
	Ports    []Port `yaml:"ports"`
}

// Port is one port of a device.
type Port struct {
	Name string `yaml:"name"`
	ID   uint32 `yaml:"id"`
	// Interface, when set, attaches the port to that Linux interface
	// through an AF_PACKET socket (needs CAP_NET_RAW).
	Interface string `yaml:"interface"`
	// Netns is the network namespace (a path such as /var/run/netns/NAME)
	// the interface lives in; empty for the process's own.
	Netns string `yaml:"netns"`
}

// Endpoint is a device port named "device:port".
type Endpoint struct {
	Device, Port string
}

// String returns "device:port".
func (e Endpoint) String() string { return e.Device + ":" + e.Port }

// Link is an in-memory wire between two device ports.
type Link struct {
	A, B Endpoint
}

// UnmarshalYAML accepts [a, b] or {a: ..., b: ...} with endpoints written
// "device:port".
func (l *Link) UnmarshalYAML(n *yaml.Node) error {
	var ends []string
	switch n.Kind {
	case yaml.SequenceNode:
		if err := n.Decode(&ends); err != nil {
			return fmt.Errorf("line %d: link: %w", n.Line, err)
		}
	case yaml.MappingNode:
		var m struct {
			A string `yaml:"a"`
			B string `yaml:"b"`
		}
		if err := n.Decode(&m); err != nil {
			return fmt.Errorf("line %d: link: %w", n.Line, err)
		}
		ends = []string{m.A, m.B}
	default:
		return fmt.Errorf("line %d: a link is [device:port, device:port]", n.Line)
	}
	if len(ends) != 2 {
		return fmt.Errorf("line %d: a link joins exactly two ports, got %d", n.Line, len(ends))
	}
	var err error
	if l.A, err = parseEndpoint(ends[0]); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	if l.B, err = parseEndpoint(ends[1]); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

func parseEndpoint(s string) (Endpoint, error) {
	d, p, ok := strings.Cut(s, ":")
	if !ok || d == "" || p == "" {
		return Endpoint{}, fmt.Errorf("link endpoint %q: want device:port", s)
	}
	return Endpoint{Device: d, Port: p}, nil
}

// Parse reads a topology in YAML; unknown keys are errors. Relative
// pipeline folders are taken relative to dir.
func Parse(data []byte, dir string) (*Topology, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	t := &Topology{}
	if err := dec.Decode(t); err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	t.dir = dir
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// Load reads a topology file.
func Load(file string) (*Topology, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	t, err := Parse(data, filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// Validate checks names, ids and addresses for duplicates and links for
// ports that exist; the error names the offending device or port.
func (t *Topology) Validate() error {
	if len(t.Devices) == 0 {
		return errors.New("topology: no devices")
	}
	if _, err := p4rt.ParseProfile(t.Profile); err != nil {
		return fmt.Errorf("topology: %w", err)
	}
	names := map[string]*Device{}
	ids := map[uint64]string{}
	addrs := map[string]string{}
	for i := range t.Devices {
		d := &t.Devices[i]
		what := fmt.Sprintf("device %d", i+1)
		if d.Name != "" {
			what = fmt.Sprintf("device %q", d.Name)
		}
		switch {
		case d.Name == "":
			return fmt.Errorf("topology: %s: no name", what)
		case strings.ContainsAny(d.Name, ": \t"):
			return fmt.Errorf("topology: %s: a name may not contain ':' or spaces", what)
		case names[d.Name] != nil:
			return fmt.Errorf("topology: %s: name used twice", what)
		case d.DeviceID == 0:
			return fmt.Errorf("topology: %s: device_id must be set and non-zero", what)
		case ids[d.DeviceID] != "":
			return fmt.Errorf("topology: %s: device_id %d already used by %q", what, d.DeviceID, ids[d.DeviceID])
		case d.P4Runtime == "":
			return fmt.Errorf("topology: %s: no p4runtime address", what)
		}
		if _, err := p4rt.ParseProfile(d.Profile); err != nil {
			return fmt.Errorf("topology: %s: %w", what, err)
		}
		for _, a := range []string{d.P4Runtime, d.Thrift} {
			if a == "" {
				continue
			}
			if _, _, err := net.SplitHostPort(a); err != nil {
				return fmt.Errorf("topology: %s: address %q: %w", what, a, err)
			}
			if o, dup := addrs[a]; dup && !strings.HasSuffix(a, ":0") {
				return fmt.Errorf("topology: %s: address %s already used by %q", what, a, o)
			}
			addrs[a] = d.Name
		}
		names[d.Name] = d
		ids[d.DeviceID] = d.Name
		pnames := map[string]bool{}
		pids := map[uint32]bool{}
		for _, p := range d.Ports {
			switch {
			case p.Name == "":
				return fmt.Errorf("topology: %s: a port has no name", what)
			case pnames[p.Name]:
				return fmt.Errorf("topology: %s: port %q listed twice", what, p.Name)
			case pids[p.ID]:
				return fmt.Errorf("topology: %s: port id %d used twice", what, p.ID)
			case p.Netns != "" && p.Interface == "":
				return fmt.Errorf("topology: %s: port %q has a netns but no interface", what, p.Name)
			}
			pnames[p.Name], pids[p.ID] = true, true
		}
	}
	used := map[Endpoint]bool{}
	for _, l := range t.Links {
		for _, e := range []Endpoint{l.A, l.B} {
			d := names[e.Device]
			if d == nil {
				return fmt.Errorf("topology: link %s-%s: no device %q", l.A, l.B, e.Device)
			}
			var p *Port
			for i := range d.Ports {
				if d.Ports[i].Name == e.Port {
					p = &d.Ports[i]
				}
			}
			switch {
			case p == nil:
				return fmt.Errorf("topology: link %s-%s: device %q has no port %q", l.A, l.B, e.Device, e.Port)
			case p.Interface != "":
				return fmt.Errorf("topology: link %s-%s: port %s is attached to interface %q", l.A, l.B, e, p.Interface)
			case used[e]:
				return fmt.Errorf("topology: link %s-%s: port %s is in another link", l.A, l.B, e)
			}
			used[e] = true
		}
		if l.A == l.B {
			return fmt.Errorf("topology: link %s-%s joins a port to itself", l.A, l.B)
		}
	}
	return nil
}

// profile is the device's profile.
func (t *Topology) profile(d *Device) p4rt.Profile {
	name := d.Profile
	if name == "" {
		name = t.Profile
	}
	p, _ := p4rt.ParseProfile(name) // checked by Validate
	return p
}

// pipeline is the device's pipeline reference ("" for none).
func (t *Topology) pipeline(d *Device) string {
	p := d.Pipeline
	if p == "" {
		p = t.Pipeline
	}
	if p == "none" {
		return ""
	}
	return p
}
