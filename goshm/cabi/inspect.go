package main

// The inspection exports (goshm.h "inspection"): one segment described, or every segment listed,
// without touching any of them.

/*
#include "goshm.h"
*/
import "C"

import (
	"unsafe"

	"github.com/node-libsharedmemory/node-libsharedmemory/goshm"
)

//export lsm_inspect
func lsm_inspect(name *C.char, nameLen C.size_t, out *C.lsm_inspect_info, e *C.lsm_error) C.int32_t {
	return guarded(e, func() (C.int32_t, error) {
		in, err := goshm.Inspect(goName(name, nameLen))
		if err != nil {
			return 0, err
		}
		fillInfo(out, &in)
		return 0, nil
	})
}

//export lsm_list
func lsm_list(infos *C.lsm_inspect_info, cap C.size_t, e *C.lsm_error) C.int64_t {
	return guarded(e, func() (C.int64_t, error) {
		list, err := goshm.List()
		if err != nil {
			return 0, err
		}
		if len(list) <= int(cap) && len(list) > 0 {
			dst := unsafe.Slice(infos, len(list))
			for i := range list {
				fillInfo(&dst[i], &list[i])
			}
		}
		return C.int64_t(len(list)), nil
	})
}

func fillInfo(out *C.lsm_inspect_info, in *goshm.Inspection) {
	d := in.Detected
	*out = C.lsm_inspect_info{
		shape: C.int32_t(d.Shape), layout: C.int32_t(d.Layout), or_v0: cbool(d.OrV0), _type: C.uint32_t(d.Type),
		size: C.uint64_t(in.Size), length: C.uint32_t(d.Size), flags: C.uint32_t(in.Flags),
		revision: C.uint32_t(in.Revision), ack: C.uint32_t(in.Ack), lock: C.uint32_t(in.Lock),
		lock_alive: C.int32_t(in.LockAlive),
		capacity:   C.uint32_t(d.Capacity), max_message_size: C.uint32_t(d.MaxMessageSize), count: C.uint32_t(d.Count),
		read_index: C.uint32_t(in.ReadIndex), write_index: C.uint32_t(in.WriteIndex),
		producer_lock: C.uint32_t(in.ProducerLock), consumer_lock: C.uint32_t(in.ConsumerLock),
		producer_alive: C.int32_t(in.ProducerAlive), consumer_alive: C.int32_t(in.ConsumerAlive),
		has_owner: cbool(in.HasOwner), uid: C.uint32_t(in.UID), mode: C.uint32_t(in.Mode),
		in_use: C.int32_t(in.InUse), mapped: C.int32_t(in.Mapped), announced: C.int32_t(in.Announced),
	}
	if !in.Mtime.IsZero() {
		out.mtime_ms = C.int64_t(in.Mtime.UnixMilli())
	}
	putString(unsafe.Pointer(&out.owner[0]), len(out.owner), in.Owner)
	putString(unsafe.Pointer(&out.error[0]), len(out.error), in.Err)
	putString(unsafe.Pointer(&out.name[0]), len(out.name), in.Name)
}

func cbool(b bool) C.int32_t {
	if b {
		return 1
	}
	return 0
}
