package port

import "errors"

var (
	// ErrAttached: the port already has an attachment; Detach it first.
	ErrAttached = errors.New("port already attached")
	// ErrNotUp: the port is not oper-UP, so the frame was dropped.
	ErrNotUp = errors.New("port is not up")
	// ErrFrame: the frame is malformed (shorter than an Ethernet header) or
	// larger than the attachment's MTU allows.
	ErrFrame = errors.New("bad frame")
	// ErrQueueFull: the attachment's queue is full, so the frame was dropped.
	ErrQueueFull = errors.New("queue full")
	// ErrClosed: the attachment or host endpoint has been closed.
	ErrClosed = errors.New("closed")
)
