package gnmi

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	gpb "github.com/openconfig/gnmi/proto/gnmi"
)

// jsonUpdates renders a selection as JSON (gNMI spec 2.3.1): one Update per
// node the request path names (each interface, for a path with a wildcard
// interface), holding that node's subtree, or the bare value of a leaf.
// With a multi-level wildcard (...) the named nodes are the leaves.
// JSON_IETF (RFC 7951) qualifies top-level members and members of another
// module with the module name and writes 64-bit numbers as strings.
func jsonUpdates(sel selection, ietf bool) ([]*gpb.Update, error) {
	type group struct {
		anchor []seg
		leaves []selectedLeaf
	}
	var groups []*group
	index := map[string]*group{}
	for _, sl := range sel.leaves {
		segs := leafSegs(sl.port.Name, sl.leaf)
		depth := len(sel.pat)
		if sel.pat.hasMultiLevel() || depth > len(segs) {
			depth = len(segs)
		}
		anchor := segs[:depth]
		k := PathString(segsPath(anchor))
		g := index[k]
		if g == nil {
			g = &group{anchor: anchor}
			index[k] = g
			groups = append(groups, g)
		}
		g.leaves = append(g.leaves, sl)
	}
	ups := make([]*gpb.Update, 0, len(groups))
	for _, g := range groups {
		root := &jnode{}
		for _, sl := range g.leaves {
			segs := leafSegs(sl.port.Name, sl.leaf)[len(g.anchor):]
			root.insert(segs, sl.leaf, sl.leaf.get(&sl.port.PortState, sl.port.lastChange))
		}
		b, err := json.Marshal(root.render(ietf, true, moduleInterfaces))
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", PathString(segsPath(g.anchor)), err)
		}
		u := &gpb.Update{Path: segsPath(g.anchor), Val: &gpb.TypedValue{}}
		if ietf {
			u.Val.Value = &gpb.TypedValue_JsonIetfVal{JsonIetfVal: b}
		} else {
			u.Val.Value = &gpb.TypedValue_JsonVal{JsonVal: b}
		}
		ups = append(ups, u)
	}
	return ups, nil
}

// jnode is a node of the tree being rendered: a leaf value, a container,
// or the interface list (entries by name).
type jnode struct {
	leaf     *leafDef
	value    any
	children map[string]*jnode
	entries  map[string]*jnode // list entries, for the interface list
}

func (n *jnode) child(name string) *jnode {
	if n.children == nil {
		n.children = map[string]*jnode{}
	}
	c := n.children[name]
	if c == nil {
		c = &jnode{}
		n.children[name] = c
	}
	return c
}

func (n *jnode) insert(segs []seg, l *leafDef, v any) {
	cur := n
	for _, s := range segs {
		cur = cur.child(s.name)
		if s.name == elemInterface {
			if cur.entries == nil {
				cur.entries = map[string]*jnode{}
			}
			e := cur.entries[s.key]
			if e == nil {
				e = &jnode{}
				cur.entries[s.key] = e
			}
			cur = e
		}
	}
	cur.leaf, cur.value = l, v
}

// render turns the node into what encoding/json writes; top says whether
// its members are at the top of the value, module is the enclosing one.
func (n *jnode) render(ietf, top bool, module string) any {
	if n.leaf != nil {
		if u, ok := n.value.(uint64); ok && ietf {
			return strconv.FormatUint(u, 10) // RFC 7951 6.1: 64-bit numbers are strings
		}
		return n.value
	}
	if n.entries != nil {
		names := make([]string, 0, len(n.entries))
		for k := range n.entries {
			names = append(names, k)
		}
		sort.Strings(names)
		list := make([]any, 0, len(names))
		for _, k := range names {
			list = append(list, n.entries[k].render(ietf, false, module))
		}
		return list
	}
	obj := make(map[string]any, len(n.children))
	for name, c := range n.children {
		m := moduleInterfaces
		if c.leaf != nil {
			m = c.leaf.module
		}
		key := name
		if ietf && (top || m != module) {
			key = m + ":" + name
		}
		obj[key] = c.render(ietf, false, m)
	}
	return obj
}
