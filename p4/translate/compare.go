package translate

import (
	"fmt"
	"strings"

	"github.com/lime-p4/lime/p4/info"
)

// MismatchError lists every difference that makes two P4Infos different
// programs. Problems name objects by their fully qualified names.
type MismatchError struct {
	Problems []string
}

func (e *MismatchError) Error() string {
	const show = 20
	var b strings.Builder
	fmt.Fprintf(&b, "the two P4Infos are not the same program (%d differences): ", len(e.Problems))
	for i, p := range e.Problems {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	return b.String()
}

// Compare checks that from and to describe the same program, by names. It
// returns a *MismatchError listing every problem, or nil; warnings are
// differences that do not change meaning but may matter (a smaller table
// or array on the target).
func Compare(from, to *info.Info) (warnings []string, err error) {
	if from == nil || to == nil {
		return nil, ErrNoProgram
	}
	c := &comparer{from: from, to: to}
	c.objects()
	if len(c.problems) > 0 {
		return c.warnings, &MismatchError{Problems: c.problems}
	}
	return c.warnings, nil
}

type comparer struct {
	from, to *info.Info
	problems []string
	warnings []string
}

func (c *comparer) bad(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *comparer) warn(format string, args ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, args...))
}

// counterpart returns the object of to with o's kind and name.
func (c *comparer) counterpart(o info.Object) info.Object {
	x, _ := c.to.LookupName(o.Kind(), o.Pre().Name)
	if x != nil && x.Pre().Name != o.Pre().Name { // matched an alias, not a name
		return nil
	}
	return x
}

func (c *comparer) objects() {
	for _, o := range c.from.Objects() {
		x := c.counterpart(o)
		if x == nil {
			c.bad("%s %q missing on the target", o.Kind(), o.Pre().Name)
			continue
		}
		switch a := o.(type) {
		case *info.Table:
			c.table(a, x.(*info.Table))
		case *info.Action:
			c.values(a.Name, valuesOf(a.Params, paramValue), valuesOf(x.(*info.Action).Params, paramValue))
		case *info.ActionProfile:
			b := x.(*info.ActionProfile)
			if a.WithSelector != b.WithSelector {
				c.bad("action profile %q: with_selector %v vs %v", a.Name, a.WithSelector, b.WithSelector)
			}
			if b.Size < a.Size {
				c.warn("action profile %q: target size %d < source size %d", a.Name, b.Size, a.Size)
			}
			if b.MaxGroupSize != 0 && (a.MaxGroupSize == 0 || b.MaxGroupSize < a.MaxGroupSize) {
				c.warn("action profile %q: target max group size %d < source %d", a.Name, b.MaxGroupSize, a.MaxGroupSize)
			}
		case *info.Counter:
			b := x.(*info.Counter)
			if a.Unit != b.Unit {
				c.bad("counter %q: unit %v vs %v", a.Name, a.Unit, b.Unit)
			}
			c.size("counter", a.Name, a.Size, b.Size)
		case *info.DirectCounter:
			if b := x.(*info.DirectCounter); a.Unit != b.Unit || a.Table.Name != b.Table.Name {
				c.bad("direct counter %q: unit/table %v %s vs %v %s", a.Name, a.Unit, a.Table.Name, b.Unit, b.Table.Name)
			}
		case *info.Meter:
			b := x.(*info.Meter)
			if a.Unit != b.Unit || a.Type != b.Type {
				c.bad("meter %q: unit/type %v/%v vs %v/%v", a.Name, a.Unit, a.Type, b.Unit, b.Type)
			}
			c.size("meter", a.Name, a.Size, b.Size)
		case *info.DirectMeter:
			if b := x.(*info.DirectMeter); a.Unit != b.Unit || a.Type != b.Type || a.Table.Name != b.Table.Name {
				c.bad("direct meter %q: unit/type/table differ", a.Name)
			}
		case *info.Register:
			b := x.(*info.Register)
			if a.Width != b.Width || a.Signed != b.Signed {
				c.bad("register %q: width %d vs %d", a.Name, a.Width, b.Width)
			}
			c.size("register", a.Name, int64(a.Size), int64(b.Size))
		case *info.Digest:
			b := x.(*info.Digest)
			c.values(a.Name, a.Members, b.Members)
		case *info.ValueSet:
			b := x.(*info.ValueSet)
			c.matchFields(a.Name, a.Fields, b.Fields)
			c.size("value set", a.Name, int64(a.Size), int64(b.Size))
		case *info.PacketMetadata:
			c.values(a.Name, valuesOf(a.Fields, metaValue), valuesOf(x.(*info.PacketMetadata).Fields, metaValue))
		case *info.Extern:
			if b := x.(*info.Extern); a.TypeName != b.TypeName {
				c.bad("extern %q: type %q vs %q", a.Name, a.TypeName, b.TypeName)
			}
		}
	}
	for _, o := range c.to.Objects() {
		if x, _ := c.from.LookupName(o.Kind(), o.Pre().Name); x == nil || x.Pre().Name != o.Pre().Name {
			c.bad("%s %q missing on the source", o.Kind(), o.Pre().Name)
		}
	}
}

func (c *comparer) size(kind, name string, a, b int64) {
	if b < a {
		c.warn("%s %q: target size %d < source size %d", kind, name, b, a)
	}
}

func (c *comparer) table(a, b *info.Table) {
	c.matchFields(a.Name, a.Fields, b.Fields)
	names := func(as []*info.Action) map[string]bool {
		m := map[string]bool{}
		for _, x := range as {
			m[x.Name] = true
		}
		return m
	}
	na, nb := names(a.Actions), names(b.Actions)
	for n := range na {
		if !nb[n] {
			c.bad("table %q: action %q missing on the target", a.Name, n)
		}
	}
	for n := range nb {
		if !na[n] {
			c.bad("table %q: action %q missing on the source", a.Name, n)
		}
	}
	switch {
	case (a.ConstDefault == nil) != (b.ConstDefault == nil):
		c.bad("table %q: const default action on one side only", a.Name)
	case a.ConstDefault != nil && a.ConstDefault.Name != b.ConstDefault.Name:
		c.bad("table %q: const default action %q vs %q", a.Name, a.ConstDefault.Name, b.ConstDefault.Name)
	}
	if (a.Profile == nil) != (b.Profile == nil) || (a.Profile != nil && a.Profile.Name != b.Profile.Name) {
		c.bad("table %q: implementation differs", a.Name)
	}
	if (a.DirectCounter == nil) != (b.DirectCounter == nil) || (a.DirectMeter == nil) != (b.DirectMeter == nil) {
		c.bad("table %q: direct resources differ", a.Name)
	}
	if a.IsConst != b.IsConst || a.IdleTimeout != b.IdleTimeout {
		c.bad("table %q: const/idle-timeout properties differ", a.Name)
	}
	c.size("table", a.Name, a.Size, b.Size)
}

func (c *comparer) matchFields(owner string, a, b []*info.MatchField) {
	c.values(owner, valuesOf(a, fieldValue), valuesOf(b, fieldValue))
	byName := map[string]*info.MatchField{}
	for _, f := range b {
		byName[f.Name] = f
	}
	for _, f := range a {
		if g := byName[f.Name]; g != nil && (f.MatchType != g.MatchType || f.OtherMatchType != g.OtherMatchType) {
			c.bad("%s/%s: match kind %v vs %v", owner, f.Name, f.MatchType, g.MatchType)
		}
	}
}

// values compares two lists of named values by name: presence, width, and
// string-ness. Port values may differ in width (the port map's values are
// checked against the target's width when translated).
func (c *comparer) values(owner string, a, b []*info.Value) {
	byName := map[string]*info.Value{}
	for _, v := range b {
		byName[v.Name] = v
	}
	seen := map[string]bool{}
	for _, v := range a {
		seen[v.Name] = true
		w := byName[v.Name]
		switch {
		case w == nil:
			c.bad("%s/%s missing on the target", owner, v.Name)
		case v.IsString != w.IsString:
			c.bad("%s/%s: string type on one side only", owner, v.Name)
		case v.Width != w.Width && !(v.IsPort && w.IsPort):
			c.bad("%s/%s: width %d vs %d", owner, v.Name, v.Width, w.Width)
		}
	}
	for _, v := range b {
		if !seen[v.Name] {
			c.bad("%s/%s missing on the source", owner, v.Name)
		}
	}
}

func valuesOf[T any](xs []*T, v func(*T) *info.Value) []*info.Value {
	out := make([]*info.Value, len(xs))
	for i, x := range xs {
		out[i] = v(x)
	}
	return out
}

func paramValue(p *info.Param) *info.Value        { return &p.Value }
func metaValue(m *info.MetadataField) *info.Value { return &m.Value }
func fieldValue(f *info.MatchField) *info.Value   { return &f.Value }
