package p4rt

// StatusOf is toStatus, for the external tests: the gRPC status a Device
// error becomes at the server.
var StatusOf = toStatus
