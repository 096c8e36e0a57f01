// Package testcert makes throwaway X.509 certificates for tests of TLS: a
// certificate authority and the leaves it signs, or a self-signed server
// certificate, each usable in a tls.Config, as a pool to trust, and as PEM
// files. Keys are ECDSA P-256; certificates are valid from an hour ago to
// an hour from now.
package testcert
