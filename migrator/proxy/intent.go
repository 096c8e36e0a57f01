package proxy

import (
	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"google.golang.org/grpc/codes"

	"github.com/lime-p4/lime/p4/entity"
)

// Outcome is what to do with a mirror update the mirror refused.
type Outcome uint8

const (
	// Fail: the refusal stands; keep the update for repair.
	Fail Outcome = iota
	// Done: the mirror already holds what the update meant.
	Done
	// Resend: send the update the intent gives instead.
	Resend
	// Retry: a transient failure; send the same update again.
	Retry
)

func (o Outcome) String() string {
	return [...]string{"fail", "done", "resend", "retry"}[o]
}

// intent decides what a mirror update refused with code c meant, so that
// writes reach the mirror idempotently (the mirror may already hold part of
// what is replayed onto it, from the clone or an earlier attempt): an
// INSERT of what exists is a MODIFY, a MODIFY of a missing entity that
// takes INSERT is an INSERT, a DELETE of what is missing is done. Transient
// codes are retried as they are; the rest fail.
func intent(u *p4v1.Update, c codes.Code) (Outcome, *p4v1.Update) {
	switch {
	case c == codes.Unavailable || c == codes.DeadlineExceeded || c == codes.Aborted:
		return Retry, u
	case u.Type == p4v1.Update_INSERT && c == codes.AlreadyExists:
		return Resend, &p4v1.Update{Type: p4v1.Update_MODIFY, Entity: u.Entity}
	case u.Type == p4v1.Update_MODIFY && c == codes.NotFound && entity.Insertable(entity.KindOf(u.Entity)):
		return Resend, &p4v1.Update{Type: p4v1.Update_INSERT, Entity: u.Entity}
	case u.Type == p4v1.Update_DELETE && c == codes.NotFound:
		return Done, nil
	}
	return Fail, nil
}

// uncertain reports whether a write that failed as a whole with code c,
// without per-update details, may still have applied some updates.
func uncertain(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Unknown, codes.Internal, codes.Aborted:
		return true
	}
	return false
}
