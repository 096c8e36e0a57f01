package gnmi

import (
	"fmt"
	"sort"
	"strings"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// InterfacePath returns the path /interfaces/interface[name=name]/rel...,
// e.g. InterfacePath("eth0", "state", "oper-status").
func InterfacePath(name string, rel ...string) *gpb.Path {
	p := &gpb.Path{Elem: []*gpb.PathElem{
		{Name: elemInterfaces},
		{Name: elemInterface, Key: map[string]string{keyName: name}},
	}}
	for _, r := range rel {
		p.Elem = append(p.Elem, &gpb.PathElem{Name: r})
	}
	return p
}

// PathString renders a path as /a/b[k=v]/c (with origin and target, if
// set, before it as origin:... and target@). The deprecated element field
// is rendered only when elem is empty: a path with both is its elem.
func PathString(p *gpb.Path) string {
	var b strings.Builder
	if t := p.GetTarget(); t != "" {
		b.WriteString(t + "@")
	}
	if o := p.GetOrigin(); o != "" {
		b.WriteString(o + ":")
	}
	for _, e := range p.GetElem() {
		b.WriteString("/" + e.GetName())
		keys := make([]string, 0, len(e.GetKey()))
		for k := range e.GetKey() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "[%s=%s]", k, e.GetKey()[k])
		}
	}
	if len(p.GetElem()) == 0 {
		for _, e := range deprecatedElement(p) {
			b.WriteString("/" + e)
		}
	}
	if b.Len() == 0 || strings.HasSuffix(b.String(), ":") || strings.HasSuffix(b.String(), "@") {
		b.WriteString("/")
	}
	return b.String()
}

// seg is one element of a concrete data path; key is set for the
// interface list entry.
type seg struct {
	name, key string
}

// leafSegs is the concrete path of leaf l of interface name.
func leafSegs(name string, l *leafDef) []seg {
	s := make([]seg, 0, 2+len(l.rel))
	s = append(s, seg{name: elemInterfaces}, seg{name: elemInterface, key: name})
	for _, r := range l.rel {
		s = append(s, seg{name: r})
	}
	return s
}

// segsPath turns concrete segments into a gNMI path.
func segsPath(segs []seg) *gpb.Path {
	p := &gpb.Path{Elem: make([]*gpb.PathElem, 0, len(segs))}
	for _, s := range segs {
		e := &gpb.PathElem{Name: s.name}
		if s.name == elemInterface {
			e.Key = map[string]string{keyName: s.key}
		}
		p.Elem = append(p.Elem, e)
	}
	return p
}

// pelem is one element of a request path; name may be the wildcards "*"
// (one element) or "..." (any number); key is the interface name asked for,
// "*" for any.
type pelem struct {
	name string
	key  string
}

type pattern []pelem

func (p pattern) hasWildcard() bool {
	for _, e := range p {
		if e.name == "*" || e.name == "..." || e.key == "*" {
			return true
		}
	}
	return false
}

func (p pattern) hasMultiLevel() bool {
	for _, e := range p {
		if e.name == "..." {
			return true
		}
	}
	return false
}

// modulePrefixes are the module names a client may qualify elements with
// (as JSON_IETF does: "openconfig-interfaces:interfaces").
var modulePrefixes = []string{moduleInterfaces + ":", moduleP4RT + ":"}

// parsePattern joins prefix and path and checks them: the origin must be
// empty or "openconfig", keys may only select interfaces by name.
//
// Of the deprecated element field: a prefix or path that has elem is read
// by its elem alone, whatever element holds (openconfig's gnmi_cli sends
// both, from ygot.StringToPath). One with element and no elem is refused:
// Stratum reads elem only and so sees an empty path there, which it
// refuses ("path is empty!", hal/lib/common/gnmi_publisher.cc), and the
// element strings cannot say which part is a list key.
func parsePattern(prefix, path *gpb.Path) (pattern, error) {
	full := joinForMessage(prefix, path)
	for _, p := range []*gpb.Path{prefix, path} {
		if len(p.GetElem()) == 0 && len(deprecatedElement(p)) > 0 {
			return nil, fmt.Errorf("%w: path %s uses only the deprecated element field; give it as elem (PathElem)", errInvalid, full)
		}
	}
	po, o := prefix.GetOrigin(), path.GetOrigin()
	if po != "" && o != "" {
		return nil, fmt.Errorf("%w: path %s: origin set in both prefix (%q) and path (%q)", errInvalid, full, po, o)
	}
	if po != "" {
		o = po
	}
	if o != "" && o != "openconfig" {
		return nil, fmt.Errorf("%w: path %s: origin %q is not served (only openconfig)", errUnsupported, full, o)
	}
	elems := append(append([]*gpb.PathElem{}, prefix.GetElem()...), path.GetElem()...)
	pat := make(pattern, 0, len(elems))
	for _, e := range elems {
		name := e.GetName()
		for _, m := range modulePrefixes {
			name = strings.TrimPrefix(name, m)
		}
		if name == "" {
			return nil, fmt.Errorf("%w: path %s has an empty element name", errInvalid, full)
		}
		pe := pelem{name: name}
		keys := e.GetKey()
		switch {
		case len(keys) == 0:
			if name == elemInterface {
				pe.key = "*" // a list without keys means every entry
			}
		case name == "...":
			return nil, fmt.Errorf("%w: path %s: the multi-level wildcard ... cannot have keys", errInvalid, full)
		case name != elemInterface && name != "*":
			return nil, fmt.Errorf("%w: path %s: element %q has keys but is not a list", errInvalid, full, name)
		default:
			for k, v := range keys {
				if k != keyName {
					return nil, fmt.Errorf("%w: path %s: interface key %q; the only key is %q", errInvalid, full, k, keyName)
				}
				if v == "" {
					return nil, fmt.Errorf("%w: path %s: empty interface name", errInvalid, full)
				}
				if v == "..." {
					v = "*"
				}
				pe.key = v
			}
		}
		pat = append(pat, pe)
	}
	return pat, nil
}

func joinForMessage(prefix, path *gpb.Path) string {
	j := &gpb.Path{Origin: prefix.GetOrigin()}
	if path.GetOrigin() != "" {
		j.Origin = path.GetOrigin()
	}
	for _, p := range []*gpb.Path{prefix, path} {
		if len(p.GetElem()) > 0 {
			j.Elem = append(j.Elem, p.GetElem()...)
			continue
		}
		for _, name := range deprecatedElement(p) { // named as sent, to be refused
			j.Elem = append(j.Elem, &gpb.PathElem{Name: name})
		}
	}
	return PathString(j)
}

// matchPath reports whether pat selects the leaf at segs, i.e. pat matches a
// prefix of segs (a path selects the subtree below it). With anyName, the
// interface name in segs stands for every interface (schema matching).
// It also returns the interface name pat binds ("*" when pat leaves it
// open).
func matchPath(pat pattern, segs []seg, anyName bool) (bool, string) {
	if len(pat) == 0 {
		return true, "*"
	}
	e := pat[0]
	if e.name == "..." {
		for i := 0; i <= len(segs); i++ {
			if ok, key := matchPath(pat[1:], segs[i:], anyName); ok {
				return true, key
			}
		}
		return false, ""
	}
	if len(segs) == 0 {
		return false, ""
	}
	s := segs[0]
	if e.name != "*" && e.name != s.name {
		return false, ""
	}
	bound := ""
	if s.name == elemInterface {
		if e.key != "" && e.key != "*" {
			if !anyName && e.key != s.key {
				return false, ""
			}
			bound = e.key
		}
	} else if e.key != "" && e.key != "*" {
		return false, "" // a key on a non-list element never matches
	}
	ok, key := matchPath(pat[1:], segs[1:], anyName)
	if !ok {
		return false, ""
	}
	if bound != "" {
		key = bound
	}
	return true, key
}

// schemaLeaves returns the schema leaves pat selects and, for each, the
// interface name pat binds ("*" for any).
func schemaLeaves(pat pattern) (leaves []*leafDef, names []string) {
	for i := range schema {
		l := &schema[i]
		if ok, key := matchPath(pat, leafSegs("", l), true); ok {
			leaves = append(leaves, l)
			names = append(names, key)
		}
	}
	return leaves, names
}

// deprecatedElement returns the path's deprecated string elements, which
// the agent reads only to name and refuse a path that has nothing else.
func deprecatedElement(p *gpb.Path) []string {
	//lint:ignore SA1019 read only to refuse paths that have nothing else
	return p.GetElement()
}
