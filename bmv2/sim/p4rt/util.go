package p4rt

import (
	"strconv"

	p4configv1 "github.com/p4lang/p4runtime/go/p4/config/v1"
)

const p4configv1ActionRefDefaultOnly = p4configv1.ActionRef_DEFAULT_ONLY

func itoa[T ~uint32 | ~uint64 | ~int | ~int32 | ~int64](v T) string {
	return strconv.FormatInt(int64(v), 10)
}
