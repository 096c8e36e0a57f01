package launch

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	p4v1 "github.com/p4lang/p4runtime/go/p4/v1"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/code"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lime-p4/lime/bmv2/thrift"
	"github.com/lime-p4/lime/bmv2/thrift/thrifttest"
)

// fakeEnv, when set, makes the test binary act as simple_switch_grpc, so
// that Start, the readiness wait, early exits and Stop run for real against
// a process in CI, where bmv2 is absent. Its value picks the behaviour:
//
//	serve        answer P4Runtime and Thrift like bmv2 until SIGTERM
//	ignore-term  the same, but ignore SIGTERM (Stop must SIGKILL)
//	exit         fail at start, as bmv2 does on a bad program (exit 3)
//	silent       run but never answer P4Runtime
const fakeEnv = "LIME_FAKE_BMV2"

// fakeLifetime bounds a fake switch that nobody stops.
const fakeLifetime = 2 * time.Minute

func TestMain(m *testing.M) {
	if behaviour := os.Getenv(fakeEnv); behaviour != "" {
		os.Exit(runFake(behaviour, os.Args[1:]))
	}
	goleak.VerifyTestMain(m)
}

// fakeArgs is what the fake understood of its command line.
type fakeArgs struct {
	deviceID, thriftPort, grpcAddr, cpuPort, logFile, logLevel, json string
	ifaces                                                           []string
	noP4, logFlush                                                   bool
}

// parseFakeArgs reads the command line the way bmv2's OptionsParser and
// simple_switch_grpc's target parser do for the options Command emits, and
// refuses anything else, so that a malformed argv fails these tests.
func parseFakeArgs(args []string) (fakeArgs, error) {
	var a fakeArgs
	target := false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("option %s needs a value", arg)
			}
			i++
			return args[i], nil
		}
		var err error
		switch {
		case arg == "--" && !target:
			target = true
		case target && arg == "--grpc-server-addr":
			a.grpcAddr, err = value()
		case target && arg == "--cpu-port":
			a.cpuPort, err = value()
		case target:
			err = fmt.Errorf("unknown target option %q", arg)
		case arg == "--device-id":
			a.deviceID, err = value()
		case arg == "--thrift-port":
			a.thriftPort, err = value()
		case arg == "--log-file":
			a.logFile, err = value()
		case arg == "--log-level":
			a.logLevel, err = value()
		case arg == "-i":
			var v string
			v, err = value()
			if err == nil && !strings.Contains(v, "@") {
				err = fmt.Errorf("-i %q is not <port>@<iface>", v)
			}
			a.ifaces = append(a.ifaces, v)
		case arg == "--log-flush":
			a.logFlush = true
		case arg == "--no-p4":
			a.noP4 = true
		case strings.HasPrefix(arg, "-"):
			err = fmt.Errorf("unknown option %q", arg)
		case a.json != "":
			err = fmt.Errorf("second positional argument %q before --", arg)
		default:
			a.json = arg
		}
		if err != nil {
			return a, err
		}
	}
	if !a.noP4 && a.json == "" {
		return a, fmt.Errorf("no JSON config and no --no-p4")
	}
	if a.grpcAddr == "" || a.thriftPort == "" || a.deviceID == "" {
		return a, fmt.Errorf("missing --grpc-server-addr, --thrift-port or --device-id")
	}
	return a, nil
}

func runFake(behaviour string, args []string) int {
	a, err := parseFakeArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error while parsing command line arguments:", err)
		return 1
	}
	log := io.Discard
	if a.logFile != "" {
		f, err := os.Create(a.logFile + ".txt") // bmv2 appends .txt
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		log = f
	}
	fmt.Fprintf(log, "[info] fake bmv2 pid %d argv %q\n", os.Getpid(), args)
	switch behaviour {
	case "exit":
		fmt.Fprintln(os.Stderr, "fake bmv2: cannot load program")
		fmt.Fprintln(log, "[error] fake failure at start")
		return 3
	case "silent":
		time.Sleep(fakeLifetime)
		return 0
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
	}
	backend := &swappable{b: thrifttest.NewMemBackend()}
	tl, err := net.Listen("tcp", "127.0.0.1:"+a.thriftPort)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() { _ = thrift.Serve(tl, backend) }()
	gl, err := net.Listen("tcp", a.grpcAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := grpc.NewServer()
	p4v1.RegisterP4RuntimeServer(srv, &fakeP4Runtime{deviceID: a.deviceID, backend: backend})
	go func() { _ = srv.Serve(gl) }()
	fmt.Println("fake bmv2 ready")
	time.Sleep(fakeLifetime) // SIGTERM's default action ends the process first
	return 0
}

// swappable is a Thrift backend replaced on each pipeline push, as bmv2
// resets its registers when a new program is loaded.
type swappable struct {
	mu sync.Mutex
	b  *thrifttest.MemBackend
}

func (s *swappable) get() *thrifttest.MemBackend {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b
}

func (s *swappable) RegisterRead(ctx context.Context, n string, i int32) (int64, error) {
	return s.get().RegisterRead(ctx, n, i)
}
func (s *swappable) RegisterReadAll(ctx context.Context, n string) ([]int64, error) {
	return s.get().RegisterReadAll(ctx, n)
}
func (s *swappable) RegisterWrite(ctx context.Context, n string, i int32, v int64) error {
	return s.get().RegisterWrite(ctx, n, i, v)
}
func (s *swappable) RegisterReset(ctx context.Context, n string) error {
	return s.get().RegisterReset(ctx, n)
}
func (s *swappable) CounterRead(ctx context.Context, n string, i int32) (thrift.CounterValue, error) {
	return s.get().CounterRead(ctx, n, i)
}
func (s *swappable) CounterWrite(ctx context.Context, n string, i int32, v thrift.CounterValue) error {
	return s.get().CounterWrite(ctx, n, i, v)
}
func (s *swappable) DevMgrAddPort(ctx context.Context, iface string, p int32, pcap string) error {
	return s.get().DevMgrAddPort(ctx, iface, p, pcap)
}
func (s *swappable) DevMgrRemovePort(ctx context.Context, p int32) error {
	return s.get().DevMgrRemovePort(ctx, p)
}
func (s *swappable) DevMgrShowPorts(ctx context.Context) ([]thrift.PortInfo, error) {
	return s.get().DevMgrShowPorts(ctx)
}

// fakeP4Runtime answers the P4Runtime calls the launch tests make:
// Capabilities, arbitration on the stream (every client is primary) and
// SetForwardingPipelineConfig, which loads the bmv2 JSON's registers into the
// Thrift backend.
type fakeP4Runtime struct {
	p4v1.UnimplementedP4RuntimeServer
	deviceID string
	backend  *swappable
}

func (f *fakeP4Runtime) Capabilities(context.Context, *p4v1.CapabilitiesRequest) (*p4v1.CapabilitiesResponse, error) {
	return &p4v1.CapabilitiesResponse{P4RuntimeApiVersion: "1.3.0"}, nil
}

func (f *fakeP4Runtime) StreamChannel(stream p4v1.P4Runtime_StreamChannelServer) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		arb := req.GetArbitration()
		if arb == nil {
			continue
		}
		if fmt.Sprint(arb.GetDeviceId()) != f.deviceID {
			return status.Errorf(codes.NotFound, "device id %d, this is %s", arb.GetDeviceId(), f.deviceID)
		}
		resp := &p4v1.StreamMessageResponse{Update: &p4v1.StreamMessageResponse_Arbitration{Arbitration: &p4v1.MasterArbitrationUpdate{
			DeviceId: arb.GetDeviceId(), ElectionId: arb.GetElectionId(),
			Status: &rpcstatus.Status{Code: int32(code.Code_OK), Message: "Is primary"},
		}}}
		if err := stream.Send(resp); err != nil {
			return nil
		}
	}
}

func (f *fakeP4Runtime) SetForwardingPipelineConfig(_ context.Context, req *p4v1.SetForwardingPipelineConfigRequest) (*p4v1.SetForwardingPipelineConfigResponse, error) {
	if fmt.Sprint(req.GetDeviceId()) != f.deviceID {
		return nil, status.Errorf(codes.NotFound, "device id %d, this is %s", req.GetDeviceId(), f.deviceID)
	}
	b, err := thrifttest.FromBMv2JSON(req.GetConfig().GetP4DeviceConfig())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%v", err)
	}
	f.backend.mu.Lock()
	f.backend.b = b
	f.backend.mu.Unlock()
	return &p4v1.SetForwardingPipelineConfigResponse{}, nil
}

// fmtSscanPid finds "fake bmv2 pid N" in a fake switch's log.
func fmtSscanPid(log string, pid *int) (int, error) {
	i := strings.Index(log, "fake bmv2 pid ")
	if i < 0 {
		return 0, fmt.Errorf("no pid line")
	}
	return fmt.Sscanf(log[i:], "fake bmv2 pid %d", pid)
}
