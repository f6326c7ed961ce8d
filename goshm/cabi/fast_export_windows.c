//go:build windows

/* Go exports only its //export functions from a Windows DLL, while an ELF or Mach-O library exports
 * every global: the addon also calls fast.c's functions (goshm.h), so they are exported here, as
 * __declspec(dllexport) would, by linker directives (goshm.h stays free of Windows attributes). */
__asm__(".section .drectve\n"
        ".ascii \" -export:lsm_fast_write -export:lsm_fast_read -export:lsm_fast_flags\"\n"
        ".ascii \" -export:lsm_fast_reinstall -export:lsm_fast_now_ns\"\n"
        ".text\n");
