// Where the engine has no way yet to tell which object a name refers to: readers never follow a
// replaced segment there (reattach.go).

//go:build !linux

package goshm

func (osImpl) identity(name string) (fileID, int64, identityState) {
	return fileID{}, 0, identityUnknown
}
