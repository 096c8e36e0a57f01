// Package simports serves the simulator's ports over gNMI: Ports adapts a
// port.Set (bmv2/sim/port) to the gnmi.Ports backend of the gNMI agent.
//
//	set, _ := port.NewSet(ports...)
//	agent, _ := gnmi.NewServer(simports.New(set), gnmi.Options{})
//	agent.Register(grpcServer)
//
// Setting config/enabled disables or enables the port (its traffic stops
// or resumes); every admin or oper change of a member port, and ports
// added to or removed from the set, reach subscribers as ON_CHANGE
// notifications.
package simports
