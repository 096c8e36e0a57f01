package client

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"

	"github.com/lime-p4/lime/p4/entity"
)

// Outcome is what to do with an update a device refused, by its intent
// (Intent).
type Outcome uint8

const (
	// IntentFail: the refusal stands.
	IntentFail Outcome = iota
	// IntentDone: the device already holds what the update meant.
	IntentDone
	// IntentResend: send the update Intent gives instead.
	IntentResend
	// IntentRetry: a transient failure; send the same update again.
	IntentRetry
)

func (o Outcome) String() string {
	return [...]string{"fail", "done", "resend", "retry"}[o]
}

// Intent decides what an update refused with code c meant, so that writes
// replayed onto a device reach it idempotently (it may already hold part of
// what is replayed: a mirror from the clone or an earlier attempt, a clone's
// target from an interrupted run): an
// INSERT of what exists is a MODIFY, a MODIFY of a missing entity that
// takes INSERT is an INSERT, a DELETE of what is missing is done. Transient
// codes are retried as they are; the rest fail.
func Intent(u *p4v1.Update, c codes.Code) (Outcome, *p4v1.Update) {
	switch {
	case c == codes.Unavailable || c == codes.DeadlineExceeded || c == codes.Aborted:
		return IntentRetry, u
	case u.Type == p4v1.Update_INSERT && c == codes.AlreadyExists:
		return IntentResend, &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: u.Entity}
	case u.Type == p4v1.Update_MODIFY && c == codes.NotFound && entity.Insertable(entity.KindOf(u.Entity)):
		return IntentResend, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: u.Entity}
	case u.Type == p4v1.Update_DELETE && c == codes.NotFound:
		return IntentDone, nil
	}
	return IntentFail, nil
}

// Uncertain reports whether a write that failed as a whole with code c,
// without per-update details, may still have applied some updates.
func Uncertain(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Unknown, codes.Internal, codes.Aborted:
		return true
	}
	return false
}
