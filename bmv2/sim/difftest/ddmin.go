package difftest

import "time"

// ddmin returns the shortest sub-list of items it finds for which fails
// still reports true (delta debugging: Zeller and Hildebrandt,
// "Simplifying and Isolating Failure-Inducing Input"). fails(nil) is tried
// first; the order of items is kept. It gives up refining after budget
// calls of fails or once deadline has passed, returning the shortest found
// so far.
func ddmin[T any](items []T, fails func([]T) (bool, error), budget int, deadline time.Time) ([]T, error) {
	tries := 0
	test := func(c []T) (bool, error) {
		tries++
		return fails(c)
	}
	if ok, err := test(nil); err != nil {
		return nil, err
	} else if ok {
		return nil, nil
	}
	cur := append([]T(nil), items...)
	n := 2
	for len(cur) >= 2 && tries < budget && time.Now().Before(deadline) {
		chunk := (len(cur) + n - 1) / n
		reduced := false
		for start := 0; start < len(cur) && tries < budget; start += chunk {
			end := min(start+chunk, len(cur))
			// The complement of one chunk first (removing a chunk), then
			// the chunk alone.
			comp := append(append([]T(nil), cur[:start]...), cur[end:]...)
			ok, err := test(comp)
			if err != nil {
				return nil, err
			}
			if ok {
				cur = comp
				n = max(n-1, 2)
				reduced = true
				break
			}
			if n > 2 {
				ok, err := test(cur[start:end])
				if err != nil {
					return nil, err
				}
				if ok {
					cur = append([]T(nil), cur[start:end]...)
					n = 2
					reduced = true
					break
				}
			}
		}
		if !reduced {
			if n >= len(cur) {
				break
			}
			n = min(2*n, len(cur))
		}
	}
	return cur, nil
}
