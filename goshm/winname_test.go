package goshm

import "testing"

// The path rule of libsharedmemory 2.x's persistent Windows segments, checked on every system:
// a C++ peer must find the file this engine makes.
func TestWindowsSegmentFile(t *testing.T) {
	for _, c := range []struct{ programData, name, want string }{
		{`C:\ProgramData`, "lsmtest", `C:\ProgramData\shared_memory\lsm_lsmtest.shm`},
		{`D:\Data\`, "a", `D:\Data\shared_memory\lsm_a.shm`},
		{"", "a", `C:\ProgramData\shared_memory\lsm_a.shm`},
		{`C:\ProgramData`, `a\b:c*d?e"f<g>h|i`, `C:\ProgramData\shared_memory\lsm_a_b_c_d_e_f_g_h_i.shm`},
		{`C:\ProgramData`, "tab\there\x01\x1f end", `C:\ProgramData\shared_memory\lsm_tab_here__ end.shm`},
		// ' ' (32), '.', '-' and non-ASCII UTF-8 bytes are kept.
		{`C:\ProgramData`, "né .-x\x7f", "C:\\ProgramData\\shared_memory\\lsm_né .-x\x7f.shm"},
		// '/' cannot reach the engine (ValidateName), but the rule replaces it like the C++ one.
		{`C:\ProgramData`, "a/b", `C:\ProgramData\shared_memory\lsm_a_b.shm`},
	} {
		if got := windowsSegmentFile(c.programData, c.name); got != c.want {
			t.Errorf("windowsSegmentFile(%q, %q) = %q, want %q", c.programData, c.name, got, c.want)
		}
	}
}

// The codes callers switch on: a segment that is not there is ENOENT on Windows as on Linux.
func TestWindowsErrnoNames(t *testing.T) {
	for code, want := range map[uint32]string{2: "ENOENT", 3: "ENOENT", 5: "EACCES", 183: "EEXIST", 1455: "ENOMEM", 32: "EBUSY"} {
		if got := windowsErrnoNames[code]; got != want {
			t.Errorf("Windows error %d is %q, want %q", code, got, want)
		}
	}
	if _, ok := windowsErrnoNames[0]; ok {
		t.Error("success has no errno name")
	}
}
