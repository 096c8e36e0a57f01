package info

import (
	"path"
	"strings"
)

// PortRules say which P4Runtime values carry switch ports, so that port
// translation can rewrite them. A value is a port when its P4 type is a port
// type, or when its qualified name matches one of Names.
//
// Qualified names are:
//
//	TABLE/FIELD          a match field, e.g. "ingress.t0/standard_metadata.ingress_port"
//	ACTION/PARAM         an action parameter, e.g. "ingress.set_egress_port/port"
//	PACKET_META/FIELD    a controller header field, e.g. "packet_in/ingress_port"
//	DIGEST/MEMBER        a digest struct member
//	VALUE_SET/FIELD      a value-set match field
//	ARRAY/index          the index of a counter, meter or register array, e.g. "MyEgress.last_seen/index"
//
// Names are patterns in path.Match syntax ('*' stops at '/'), matched against
// the fully qualified name and against the alias of the containing object.
type PortRules struct {
	// TypeNames are P4 type names whose values are ports, in addition to
	// every translated type whose URI names PortId_t.
	TypeNames []string
	// Names are qualified-name patterns of port values (see above).
	Names []string
}

// DefaultPortRules recognise the usual port types (PortId_t and friends) and
// the v1model standard-metadata port fields, and the packet_in/packet_out
// headers' ingress_port/egress_port fields that ONOS pipelines use.
var DefaultPortRules = PortRules{
	TypeNames: []string{"PortId_t", "PortId32_t", "port_id_t", "port_id_bit_t", "port_id_str_t", "FabricPortId_t"},
	Names: []string{
		"*/standard_metadata.ingress_port",
		"*/standard_metadata.egress_spec",
		"*/standard_metadata.egress_port",
		"packet_in/ingress_port",
		"packet_out/egress_port",
	},
}

// Merge returns the union of two rule sets.
func (r PortRules) Merge(o PortRules) PortRules {
	return PortRules{
		TypeNames: append(append([]string(nil), r.TypeNames...), o.TypeNames...),
		Names:     append(append([]string(nil), r.Names...), o.Names...),
	}
}

// Validate reports the first malformed pattern.
func (r PortRules) Validate() error {
	for _, n := range r.Names {
		if _, err := path.Match(n, ""); err != nil {
			return &Error{What: "port rule " + n, Err: err}
		}
	}
	return nil
}

func (r PortRules) isPortType(name string, translatedURI string) bool {
	if strings.HasSuffix(translatedURI, "PortId_t") || strings.HasSuffix(translatedURI, "PortId32_t") {
		return true
	}
	if name == "" {
		return false
	}
	for _, t := range r.TypeNames {
		if t == name {
			return true
		}
	}
	return false
}

// matches reports whether "owner/member" (for each of the owner's names)
// matches a name pattern; member is "index" for an array's index.
func (r PortRules) matches(p *Preamble, member string) bool {
	for _, owner := range []string{p.Name, p.Alias} {
		if owner == "" {
			continue
		}
		q := owner + "/" + member
		for _, pat := range r.Names {
			if ok, _ := path.Match(pat, q); ok {
				return true
			}
		}
	}
	return false
}
