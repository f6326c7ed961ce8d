// Copying payloads into and out of a mapping.
package goshm

// copyCached copies like copy, in pieces small enough that the runtime's memmove keeps to ordinary
// cached stores. From 1 MiB up, memmove on amd64 switches to non-temporal stores, which bypass the
// cache: a 1 MiB write then took twice as long as one of 1 MiB - 64 B, and the reader that
// follows finds nothing in cache. Payloads in shared memory are written to be read at once.
func copyCached(dst, src []byte) int {
	const piece = 256 << 10
	n := 0
	for len(src) > piece && len(dst) > piece {
		copy(dst[:piece], src[:piece])
		dst, src, n = dst[piece:], src[piece:], n+piece
	}
	return n + copy(dst, src)
}
