package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lime-p4/lime/p4/info"
	"github.com/lime-p4/lime/p4/translate"
)

// PortFlags say how ports translate between two devices: the port map and
// which P4Runtime values carry ports beyond the default rules.
type PortFlags struct {
	Map    string
	Fields []string
	Types  []string
}

// Register adds --port-map, --port-field and --port-type.
func (p *PortFlags) Register(fs *pflag.FlagSet) {
	p.RegisterMap(fs)
	p.RegisterRules(fs)
}

// RegisterMap adds --port-map alone (where the rules are another
// program's: lime migrate uses the proxy's).
func (p *PortFlags) RegisterMap(fs *pflag.FlagSet) {
	fs.StringVar(&p.Map, "port-map", "", "source port -> target port: a file of FROM=TO lines, or inline pairs \"1=5,2=6\" (none: ports stay as they are)")
}

// RegisterRules adds --port-field and --port-type alone (where the map
// comes later: lime proxy gets it with each migration).
func (p *PortFlags) RegisterRules(fs *pflag.FlagSet) {
	fs.StringSliceVar(&p.Fields, "port-field", nil, "extra values that carry ports, as TABLE/FIELD, ACTION/PARAM, packet_in/FIELD or ARRAY/index patterns (repeatable)")
	fs.StringSliceVar(&p.Types, "port-type", nil, "extra P4 type names whose values are ports (repeatable)")
}

// Rules returns the port rules: the defaults plus the flags'.
func (p *PortFlags) Rules() info.PortRules {
	return info.DefaultPortRules.Merge(info.PortRules{TypeNames: p.Types, Names: p.Fields})
}

// PortMap reads the map: a file when the flag names one, else inline pairs;
// nil (identity) when the flag is empty.
func (p *PortFlags) PortMap() (*translate.PortMap, error) {
	if p.Map == "" {
		return nil, nil
	}
	text := p.Map
	if b, err := os.ReadFile(p.Map); err == nil {
		text = string(b)
	} else if !strings.Contains(p.Map, "=") && !strings.Contains(p.Map, ":") {
		return nil, fmt.Errorf("--port-map %q: %w", p.Map, err)
	}
	pm, err := translate.ParsePortMap(text)
	if err != nil {
		return nil, fmt.Errorf("--port-map: %w", err)
	}
	return pm, nil
}

// Translator builds the translation from one device's P4Info to another's,
// refusing different programs.
func (p *PortFlags) Translator(from, to *info.Info) (*translate.Translator, error) {
	pm, err := p.PortMap()
	if err != nil {
		return nil, err
	}
	tr, err := translate.New(from, to, translate.WithPorts(pm))
	if err != nil {
		return nil, err
	}
	return tr, nil
}

// DefaultPortFlags are port flags with nothing set: the default rules.
func DefaultPortFlags() *PortFlags { return &PortFlags{} }
