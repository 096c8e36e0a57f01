package stream

import (
	"context"
	"errors"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
)

// Conn is one controller stream as a server handles it.
type Conn interface {
	// Handle processes a message from the controller; an error ends the
	// stream with it.
	Handle(*p4v1.StreamMessageRequest) error
	// Recv waits for the next message for the controller (Outbound.Recv).
	Recv(ctx context.Context) (*p4v1.StreamMessageResponse, error)
	// Close ends the stream: the controller left.
	Close()
	// Err is the error that ended the stream, if any.
	Err() error
}

// Serve pumps a gRPC stream: requests into c, its messages out. It returns
// when the client closes its side (as PI does), c ends with an error (which
// becomes the stream's status), or ctx ends; c is closed then.
func Serve(ctx context.Context, c Conn, recv func() (*p4v1.StreamMessageRequest, error), send func(*p4v1.StreamMessageResponse) error) error {
	defer c.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for {
			req, err := recv()
			if err != nil {
				return
			}
			if err := c.Handle(req); err != nil {
				return
			}
		}
	}()
	sendDone := make(chan struct{})
	var sendErr error
	go func() {
		defer close(sendDone)
		for {
			m, err := c.Recv(ctx)
			if err == nil {
				err = send(m)
			}
			if err != nil {
				sendErr = err
				return
			}
		}
	}()
	var err error
	select {
	case <-recvDone:
	case <-sendDone:
		err = sendErr
	}
	cancel()
	// The sender stops at its next Recv; bound the wait in case it is
	// blocked sending to a client that does not read (returning from the
	// handler then unblocks it).
	select {
	case <-sendDone:
	case <-time.After(time.Second):
	}
	if cerr := c.Err(); cerr != nil {
		return cerr
	}
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}
