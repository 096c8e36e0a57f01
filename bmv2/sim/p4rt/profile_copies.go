package p4rt

import (
	"container/heap"
	"slices"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// PI (proto/frontend/src/action_prof_mgr.cpp) programs a member of weight w
// in a group as w members of the target: the member itself and w-1 hidden
// copies of it, shared by every group (a member of weight 3 in one group
// and 2 in another has 2 copies). bmv2 lists every one of them in a read
// of the profile's members, each under the member's id, in the order of
// bmv2's member handles (the lowest free handle is taken first). Profile
// bmv2 keeps the same bookkeeping so that its reads answer the same
// multiset in the same order; profile spec reads each member once.

// handles allocates bmv2 member handles: the lowest free one first.
type handles struct {
	owner []uint32 // handle -> member id
	used  []bool
	free  intHeap
}

func (h *handles) alloc(member uint32) int {
	if h.free.Len() > 0 {
		i := heap.Pop(&h.free).(int)
		h.owner[i], h.used[i] = member, true
		return i
	}
	h.owner = append(h.owner, member)
	h.used = append(h.used, true)
	return len(h.owner) - 1
}

func (h *handles) release(i int) {
	h.used[i] = false
	heap.Push(&h.free, i)
}

// members calls fn with the member id of every handle in use, in handle
// order.
func (h *handles) members(fn func(id uint32) error) error {
	for i, id := range h.owner {
		if h.used[i] {
			if err := fn(id); err != nil {
				return err
			}
		}
	}
	return nil
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// copies is PI's state of one member: its handles (the first is the member,
// the others its hidden copies) and how many groups hold it at each weight.
type copies struct {
	handles []int
	weights map[int32]int
}

// addMemberHandle gives a new member its handle.
func (ps *profileState) addMemberHandle(id uint32, ms *memberState) {
	ms.copies = copies{handles: []int{ps.handles.alloc(id)}, weights: map[int32]int{}}
}

// releaseMemberHandles frees the handles of a deleted member.
func (ps *profileState) releaseMemberHandles(ms *memberState) {
	for _, h := range ms.copies.handles {
		ps.handles.release(h)
	}
	ms.copies.handles = nil
}

// regroup applies a group's change of membership from old to next (nil for
// none) as PI's group_update_members and group_delete do: in member id
// order, the copies each member's new weight needs are made, then every
// member involved loses the copies no group needs any more, last made
// first.
func (ps *profileState) regroup(old, next *p4v1.ActionProfileGroup) {
	weights := map[uint32][2]int32{} // member id -> {old, new} weight
	for _, m := range old.GetMembers() {
		w := weights[m.GetMemberId()]
		w[0] = m.GetWeight()
		weights[m.GetMemberId()] = w
	}
	for _, m := range next.GetMembers() {
		w := weights[m.GetMemberId()]
		w[1] = m.GetWeight()
		weights[m.GetMemberId()] = w
	}
	ids := make([]uint32, 0, len(weights))
	for id := range weights {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ms, w := ps.members[id], weights[id]
		if ms == nil {
			continue
		}
		for i := int32(len(ms.copies.handles)); i < w[1]; i++ {
			ms.copies.handles = append(ms.copies.handles, ps.handles.alloc(id))
		}
		if w[0] > 0 {
			ms.copies.weights[w[0]]--
			if ms.copies.weights[w[0]] == 0 {
				delete(ms.copies.weights, w[0])
			}
		}
		if w[1] > 0 {
			ms.copies.weights[w[1]]++
		}
	}
	for _, id := range ids {
		ms := ps.members[id]
		if ms == nil {
			continue
		}
		need := int32(1)
		for w := range ms.copies.weights {
			need = max(need, w)
		}
		for int32(len(ms.copies.handles)) > need {
			last := len(ms.copies.handles) - 1
			ps.handles.release(ms.copies.handles[last])
			ms.copies.handles = ms.copies.handles[:last]
		}
	}
}
