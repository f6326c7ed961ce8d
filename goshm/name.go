// The rules for a segment name, checked before any system call sees it. MaxNameLen, the OS's
// limit, sits in the file of each OS.
package goshm

import "strings"

// ValidateName checks a segment name before any system call sees it. The JavaScript layer checks
// the same rules first (with friendlier messages); this is the engine's own guard.
func ValidateName(name string) error {
	switch {
	case name == "":
		return newError(KindArg, name, "segment name must not be empty")
	case len(name) > MaxNameLen:
		return newError(KindArg, name, "segment name is %d bytes long; the limit is %d", len(name), MaxNameLen)
	case strings.ContainsAny(name, "/\x00"):
		return newError(KindArg, name, "segment name %q must not contain '/' or NUL", name)
	case name == "." || name == "..":
		return newError(KindArg, name, "segment name %q is reserved", name)
	}
	return nil
}
