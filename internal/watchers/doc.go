// Package watchers keeps the callbacks registered to hear of changes (port
// status, link events) for the simulator's ports and the gNMI port
// backends: registration that returns its cancellation, and a snapshot in
// registration order to call outside the owner's locks.
package watchers
