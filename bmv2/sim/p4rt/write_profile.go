package p4rt

import (
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/protobuf/proto"

	"github.com/lime-p4/lime/p4/info"
)

// profileMode is how an action profile is programmed: the spec forbids
// mixing members and groups with one-shot action sets in one profile
// (section "One Shot Action Selector Programming").
type profileMode uint8

const (
	modeUnused profileMode = iota
	modeManual
	modeOneShot
)

// profileState holds the members and groups of one action profile.
type profileState struct {
	ap       *info.ActionProfile
	members  map[uint32]*memberState
	groups   map[uint32]*groupState
	oneShots int // table entries using one-shot action sets
	mode     profileMode
	// handles are bmv2's member handles, kept in profile bmv2 only (see
	// profile_copies.go).
	handles handles
}

type memberState struct {
	action    *p4v1.Action // canonical
	groupRefs int
	entryRefs int
	copies    copies // profile bmv2: PI's handles of the member
}

type groupState struct {
	group     *p4v1.ActionProfileGroup // canonical, members by member id
	entryRefs int
}

func newProfileState(ap *info.ActionProfile) *profileState {
	return &profileState{ap: ap, members: map[uint32]*memberState{}, groups: map[uint32]*groupState{}}
}

func (ps *profileState) updateMode() {
	switch {
	case ps.oneShots > 0:
		ps.mode = modeOneShot
	case len(ps.members) > 0 || len(ps.groups) > 0:
		ps.mode = modeManual
	default:
		ps.mode = modeUnused
	}
}

// profileFor resolves the action profile of a member or group update.
func (st *state) profileFor(id uint32) (*profileState, error) {
	ap := st.inf.ActionProfile(id)
	if ap == nil {
		return nil, errorf(ErrInvalid, "unknown action profile id %d", id)
	}
	ps := st.profiles[ap.ID]
	if ps.mode == modeOneShot {
		return nil, st.mixedModes("action profile %q is programmed with one-shot action sets: members and groups cannot be mixed in", ap.Name)
	}
	return ps, nil
}

// mixedModesMessage is PI's refusal of an access to an action profile in
// the other programming mode (ActionProfMgr::check_selector_usage).
const mixedModesMessage = "Invalid attempt to mix action selector programming modes"

// mixedModes refuses an access to a profile programmed the other way
// (members and groups, or one-shot sets): INVALID_ARGUMENT, in profile
// bmv2 with PI's very message.
func (st *state) mixedModes(format string, args ...any) error {
	if st.dev.profile == ProfileBMv2 {
		return exactf(ErrInvalid, mixedModesMessage)
	}
	return errorf(ErrInvalid, format, args...)
}

// checkProfileAction validates a member's action: an action of the tables
// the profile implements.
func (st *state) checkProfileAction(ap *info.ActionProfile, a *p4v1.Action, what string) (*p4v1.Action, error) {
	ai := st.inf.Action(a.GetActionId())
	if ai == nil {
		return nil, errorf(ErrInvalid, "%s: unknown action id %d", what, a.GetActionId())
	}
	ok := false
	for _, t := range ap.Tables {
		if scope, in := t.ActionScope(ai.ID); in && scope != p4configv1ActionRefDefaultOnly {
			ok = true
			break
		}
	}
	if !ok {
		return nil, errorf(ErrInvalid, "%s: action %q is not an action of the profile's tables", what, ai.Name)
	}
	_, ca, err := st.checkAction(a, what)
	return ca, err
}

// writeMember handles an ActionProfileMember update (spec section "Member
// Programming").
func (st *state) writeMember(typ p4v1.Update_Type, m *p4v1.ActionProfileMember, j *journal) error {
	ps, err := st.profileFor(m.GetActionProfileId())
	if err != nil {
		return err
	}
	ap := ps.ap
	what := "action profile " + quote(ap.Name) + " member " + itoa(m.GetMemberId())
	if st.dev.profile == ProfileSpec && m.GetMemberId() == 0 {
		return errorf(ErrInvalid, "%s: member id 0 is not valid", what)
	}
	cur := ps.members[m.GetMemberId()]
	switch typ {
	case p4v1.Update_INSERT, p4v1.Update_MODIFY:
		if m.GetAction() == nil {
			return errorf(ErrInvalid, "%s: no action", what)
		}
		a, err := st.checkProfileAction(ap, m.GetAction(), what)
		if err != nil {
			return err
		}
		if typ == p4v1.Update_INSERT {
			if cur != nil {
				return errorf(ErrAlreadyExists, "%s exists", what)
			}
			if st.dev.profile == ProfileSpec && ap.Size > 0 && int64(len(ps.members)) >= ap.Size {
				return errorf(ErrExhausted, "action profile %q is full (%d members)", ap.Name, ap.Size)
			}
			if err := st.prog.SetMember(ap, m.GetMemberId(), a); err != nil {
				return targetErr(err, "%s: create", what)
			}
			ms := &memberState{action: a}
			if st.piCopies() {
				ps.addMemberHandle(m.GetMemberId(), ms)
			}
			ps.members[m.GetMemberId()] = ms
			ps.updateMode()
			j.add(func() {
				_ = st.prog.DeleteMember(ap, m.GetMemberId())
				delete(ps.members, m.GetMemberId())
				ps.updateMode()
			})
			return nil
		}
		if cur == nil {
			return errorf(ErrNotFound, "%s does not exist", what)
		}
		if err := st.prog.SetMember(ap, m.GetMemberId(), a); err != nil {
			return targetErr(err, "%s: modify", what)
		}
		old := cur.action
		cur.action = a
		j.add(func() {
			_ = st.prog.SetMember(ap, m.GetMemberId(), old)
			cur.action = old
		})
		return nil
	default:
		if cur == nil {
			return errorf(ErrNotFound, "%s does not exist", what)
		}
		if cur.groupRefs > 0 {
			return errorf(st.inUse(), "%s is in %d group(s): remove it from them first", what, cur.groupRefs)
		}
		if cur.entryRefs > 0 {
			return errorf(st.inUse(), "%s is used by %d table entries", what, cur.entryRefs)
		}
		if err := st.prog.DeleteMember(ap, m.GetMemberId()); err != nil {
			return targetErr(err, "%s: delete", what)
		}
		if st.piCopies() {
			ps.releaseMemberHandles(cur)
		}
		delete(ps.members, m.GetMemberId())
		ps.updateMode()
		j.add(func() {
			_ = st.prog.SetMember(ap, m.GetMemberId(), cur.action)
			ps.members[m.GetMemberId()] = cur
			ps.updateMode()
		})
		return nil
	}
}

// writeGroup handles an ActionProfileGroup update (spec section "Group
// Programming" and "Rules on Setting max_size").
func (st *state) writeGroup(typ p4v1.Update_Type, g *p4v1.ActionProfileGroup, j *journal) error {
	ps, err := st.profileFor(g.GetActionProfileId())
	if err != nil {
		return err
	}
	ap := ps.ap
	what := "action profile " + quote(ap.Name) + " group " + itoa(g.GetGroupId())
	if !ap.WithSelector {
		return errorf(ErrInvalid, "%s: the profile has no selector, so no groups", what)
	}
	if st.dev.profile == ProfileSpec && g.GetGroupId() == 0 {
		return errorf(ErrInvalid, "%s: group id 0 is not valid", what)
	}
	cur := ps.groups[g.GetGroupId()]
	if typ == p4v1.Update_DELETE {
		if cur == nil {
			return errorf(ErrNotFound, "%s does not exist", what)
		}
		if cur.entryRefs > 0 {
			return errorf(st.inUse(), "%s is used by %d table entries", what, cur.entryRefs)
		}
		if err := st.prog.DeleteGroup(ap, g.GetGroupId()); err != nil {
			return targetErr(err, "%s: delete", what)
		}
		if st.piCopies() {
			ps.regroup(cur.group, nil)
		}
		st.groupRefs(ps, cur.group, -1)
		delete(ps.groups, g.GetGroupId())
		ps.updateMode()
		j.add(func() {
			_ = st.prog.SetGroup(ap, cur.group)
			st.groupRefs(ps, cur.group, 1)
			ps.groups[g.GetGroupId()] = cur
			ps.updateMode()
		})
		return nil
	}
	if err := checkMode(typ, cur != nil, what); err != nil {
		return err
	}
	maxSize := g.GetMaxSize()
	if typ == p4v1.Update_MODIFY {
		// PI checks max_size only when it is set; the spec requires it to
		// be the value given at creation.
		if (maxSize != 0 || st.dev.profile == ProfileSpec) && maxSize != cur.group.GetMaxSize() {
			return errorf(ErrInvalid, "%s: max_size cannot change after creation (%d)", what, cur.group.GetMaxSize())
		}
		maxSize = cur.group.GetMaxSize()
	} else {
		switch {
		case maxSize < 0:
			return errorf(ErrInvalid, "%s: negative max_size", what)
		case ap.MaxGroupSize > 0 && maxSize > ap.MaxGroupSize:
			return errorf(ErrInvalid, "%s: max_size %d exceeds the profile's max_group_size %d", what, maxSize, ap.MaxGroupSize)
		case ap.MaxGroupSize > 0 && maxSize == 0 && st.dev.profile == ProfileSpec:
			return errorf(ErrInvalid, "%s: max_size must be set (the profile's max_group_size is %d)", what, ap.MaxGroupSize)
		}
	}
	cg, err := st.checkGroupMembers(ps, g, maxSize, what)
	if err != nil && cur == nil && st.dev.profile == ProfileBMv2 {
		// PI creates the group before it checks the members
		// (ActionProfAccessManual::group_create, then
		// group_update_members): a refused INSERT leaves it, empty.
		if cerr := st.createEmptyGroup(ps, g.GetGroupId(), maxSize, j); cerr != nil {
			return cerr
		}
		return err
	}
	if err != nil {
		return err
	}
	if err := st.prog.SetGroup(ap, cg); err != nil {
		return targetErr(err, "%s: program", what)
	}
	if st.piCopies() {
		var old *p4v1.ActionProfileGroup
		if cur != nil {
			old = cur.group
		}
		ps.regroup(old, cg)
	}
	if cur == nil {
		ns := &groupState{group: cg}
		ps.groups[cg.GroupId] = ns
		st.groupRefs(ps, cg, 1)
		ps.updateMode()
		j.add(func() {
			_ = st.prog.DeleteGroup(ap, cg.GroupId)
			st.groupRefs(ps, cg, -1)
			delete(ps.groups, cg.GroupId)
			ps.updateMode()
		})
		return nil
	}
	old := cur.group
	st.groupRefs(ps, old, -1)
	st.groupRefs(ps, cg, 1)
	cur.group = cg
	j.add(func() {
		_ = st.prog.SetGroup(ap, old)
		st.groupRefs(ps, cg, -1)
		st.groupRefs(ps, old, 1)
		cur.group = old
	})
	return nil
}

// piCopies reports whether the device keeps PI's copies of weighted
// members (profile bmv2).
func (st *state) piCopies() bool { return st.dev.profile == ProfileBMv2 }

// inUse is the kind of error for deleting a member or group still in use:
// bmv2's target refuses it and PI answers UNKNOWN ("Error when deleting
// member on target"); the spec asks for FAILED_PRECONDITION.
func (st *state) inUse() error {
	if st.dev.profile == ProfileSpec {
		return ErrFailedPrecondition
	}
	return ErrUnknown
}

// createEmptyGroup creates a group without members.
func (st *state) createEmptyGroup(ps *profileState, id uint32, maxSize int32, j *journal) error {
	ap := ps.ap
	g := &p4v1.ActionProfileGroup{ActionProfileId: ap.ID, GroupId: id, MaxSize: maxSize}
	if err := st.prog.SetGroup(ap, g); err != nil {
		return targetErr(err, "action profile %q group %d: program", ap.Name, id)
	}
	ps.groups[id] = &groupState{group: g}
	ps.updateMode()
	j.add(func() {
		_ = st.prog.DeleteGroup(ap, id)
		delete(ps.groups, id)
		ps.updateMode()
	})
	return nil
}

// checkGroupMembers validates the members of a group (PI's
// group_update_members: weights, size, existence, duplicates) and returns
// the canonical group: members sorted by id, as PI reads them back.
func (st *state) checkGroupMembers(ps *profileState, g *p4v1.ActionProfileGroup, maxSize int32, what string) (*p4v1.ActionProfileGroup, error) {
	ap := ps.ap
	size := int64(0)
	for _, m := range g.GetMembers() {
		w := m.GetWeight()
		switch {
		case ap.WeightsDisallowed && w != 0:
			return nil, errorf(ErrInvalid, "%s: member %d: weights are disallowed for this profile", what, m.GetMemberId())
		case !ap.WeightsDisallowed && w <= 0:
			return nil, errorf(ErrInvalid, "%s: member %d: weight must be a positive integer", what, m.GetMemberId())
		case ap.MaxMemberWeight > 0 && w > ap.MaxMemberWeight:
			return nil, errorf(ErrInvalid, "%s: member %d: weight %d exceeds max_member_weight %d", what, m.GetMemberId(), w, ap.MaxMemberWeight)
		}
		if sumOfMembers(ap) {
			size++
		} else {
			size += int64(max(w, 1))
		}
	}
	limit := int64(maxSize)
	if limit == 0 {
		limit = int64(ap.MaxGroupSize)
	}
	if limit > 0 && size > limit {
		return nil, errorf(ErrExhausted, "%s: size %d exceeds the maximum %d", what, size, limit)
	}
	seen := map[uint32]bool{}
	out := &p4v1.ActionProfileGroup{ActionProfileId: ap.ID, GroupId: g.GetGroupId(), MaxSize: maxSize}
	for _, m := range g.GetMembers() {
		if ps.members[m.GetMemberId()] == nil {
			return nil, errorf(ErrNotFound, "%s: member %d does not exist", what, m.GetMemberId())
		}
		if seen[m.GetMemberId()] {
			return nil, errorf(ErrInvalid, "%s: member %d listed twice (use weights)", what, m.GetMemberId())
		}
		seen[m.GetMemberId()] = true
		out.Members = append(out.Members, proto.Clone(m).(*p4v1.ActionProfileGroup_Member))
	}
	slices.SortFunc(out.Members, func(a, b *p4v1.ActionProfileGroup_Member) int {
		return int(int64(a.GetMemberId()) - int64(b.GetMemberId()))
	})
	return out, nil
}

// groupRefs counts a group's references on its members.
func (st *state) groupRefs(ps *profileState, g *p4v1.ActionProfileGroup, n int) {
	for _, m := range g.GetMembers() {
		if ms := ps.members[m.GetMemberId()]; ms != nil {
			ms.groupRefs += n
		}
	}
}

// checkActionSet validates a one-shot action set (spec section "One Shot
// Action Selector Programming").
func (st *state) checkActionSet(t *info.Table, set *p4v1.ActionProfileActionSet) (*p4v1.ActionProfileActionSet, error) {
	ap := t.Profile
	ps := st.profiles[ap.ID]
	what := "table " + quote(t.Name) + " one-shot action set"
	if ps.mode == modeManual {
		return nil, st.mixedModes("%s: action profile %q is programmed with members and groups: one-shot sets cannot be mixed in", what, ap.Name)
	}
	if set.GetActionSelectionMode() != p4v1.ActionProfileActionSet_DEFAULT_MODE_DETERMINED_BY_ACTION_SELECTOR ||
		set.GetSizeSemantics() != p4v1.ActionProfileActionSet_DEFAULT_SIZE_DETERMINED_BY_ACTION_SELECTOR {
		return nil, errorf(ErrUnimplemented, "%s: per-group selection mode and size semantics are not supported", what)
	}
	out := &p4v1.ActionProfileActionSet{}
	size := int64(0)
	for i, apa := range set.GetActionProfileActions() {
		w := apa.GetWeight()
		switch {
		case ap.WeightsDisallowed && w != 0:
			return nil, errorf(ErrInvalid, "%s: action %d: weights are disallowed for this profile", what, i)
		case !ap.WeightsDisallowed && w <= 0:
			return nil, errorf(ErrInvalid, "%s: action %d: weight must be a positive integer", what, i)
		case sumOfMembers(ap) && ap.MaxMemberWeight > 0 && w > ap.MaxMemberWeight:
			return nil, errorf(ErrInvalid, "%s: action %d: weight %d exceeds max_member_weight %d", what, i, w, ap.MaxMemberWeight)
		}
		if sumOfMembers(ap) {
			size++
		} else {
			size += int64(max(w, 1))
		}
		if apa.GetAction() == nil {
			return nil, errorf(ErrInvalid, "%s: action %d is empty", what, i)
		}
		a, err := st.checkProfileAction(ap, apa.GetAction(), what)
		if err != nil {
			return nil, err
		}
		c := proto.Clone(apa).(*p4v1.ActionProfileAction)
		c.Action = a
		out.ActionProfileActions = append(out.ActionProfileActions, c)
	}
	if ap.MaxGroupSize > 0 && size > int64(ap.MaxGroupSize) {
		return nil, errorf(ErrInvalid, "%s: size %d exceeds max_group_size %d", what, size, ap.MaxGroupSize)
	}
	return out, nil
}

// sumOfMembers reports a selector whose sizes count members; an unset
// selector_size_semantics means sum_of_weights (P4Runtime spec section
// 6.4.3 "ActionProfile").
func sumOfMembers(ap *info.ActionProfile) bool {
	return ap.Proto.GetSumOfMembers() != nil
}
