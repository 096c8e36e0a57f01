package dataplane

import "fmt"

// writeMode says whether a write creates, replaces, or does either.
type writeMode int

const (
	modeInsert writeMode = iota
	modeModify
	modeUpsert
)

// replaceMode is modeModify for a write that replaces, modeInsert for one
// that creates.
func replaceMode(replace bool) writeMode {
	if replace {
		return modeModify
	}
	return modeInsert
}

// refuse returns the sentinel error of a write that mode forbids:
// ErrExists for creating what exists, ErrNotFound for replacing what does
// not; nil when the write may go ahead. Callers wrap it with the object's
// name.
func (m writeMode) refuse(exists bool) error {
	switch {
	case exists && m == modeInsert:
		return ErrExists
	case !exists && m == modeModify:
		return ErrNotFound
	}
	return nil
}

// deleteID removes id from m; ErrNotFound, naming the object with what and
// id, when m has no such id.
func deleteID[V any](m map[uint32]V, id uint32, what string) error {
	if _, ok := m[id]; !ok {
		return fmt.Errorf("%w: %s %d", ErrNotFound, what, id)
	}
	delete(m, id)
	return nil
}
