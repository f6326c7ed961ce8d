package main

/*
#include "goshm.h"
*/
import "C"

import "github.com/node-libsharedmemory/node-libsharedmemory/goshm"

// goshm.h is the one definition of the facts that cross layers; the engine has its own Go
// constants for them. Each line below indexes a one-element array with the difference of the two,
// which fails to compile (constant index out of range) unless they agree, so they cannot drift
// apart.
var check [1]struct{}

var (
	_ = check[int64(goshm.FlagChanged)-C.LSM_FLAG_CHANGED]
	_ = check[int64(goshm.TypeString)-C.LSM_TYPE_STRING]
	_ = check[int64(goshm.TypeFloat)-C.LSM_TYPE_FLOAT]
	_ = check[int64(goshm.TypeDouble)-C.LSM_TYPE_DOUBLE]
	_ = check[int64(goshm.TypeBytes)-C.LSM_TYPE_BYTES]

	_ = check[int64(goshm.LayoutV0)-C.LSM_LAYOUT_V0]
	_ = check[int64(goshm.LayoutV1)-C.LSM_LAYOUT_V1]
	_ = check[int64(goshm.LayoutV2)-C.LSM_LAYOUT_V2]

	_ = check[int64(goshm.V2HintRevision)-C.LSM_V2_HINT_REVISION]
	_ = check[int64(goshm.V2HintAck)-C.LSM_V2_HINT_ACK]
	_ = check[int64(goshm.V2Revision)-C.LSM_V2_REVISION]
	_ = check[int64(goshm.V2Ack)-C.LSM_V2_ACK]
	_ = check[int64(goshm.V2Size)-C.LSM_V2_SIZE]
	_ = check[int64(goshm.V2Lock)-C.LSM_V2_LOCK]
	_ = check[int64(goshm.V2Data)-C.LSM_V2_DATA]
	_ = check[int64(goshm.V1Size)-C.LSM_V1_SIZE]
	_ = check[int64(goshm.V1Data)-C.LSM_V1_DATA]
	_ = check[int64(goshm.V0FloatSize)-C.LSM_V0_FLOAT_SIZE]
	_ = check[int64(goshm.V0FloatData)-C.LSM_V0_FLOAT_DATA]
	_ = check[int64(goshm.V0DoubleSize)-C.LSM_V0_DOUBLE_SIZE]
	_ = check[int64(goshm.V0DoubleData)-C.LSM_V0_DOUBLE_DATA]

	_ = check[int64(goshm.QueueHeaderV2)-C.LSM_QUEUE_HEADER_V2]
	_ = check[int64(goshm.QueueHeaderV1)-C.LSM_QUEUE_HEADER_V1]
	_ = check[int64(goshm.QueueSlotHead)-C.LSM_QUEUE_SLOT_HEAD]

	_ = check[int64(goshm.MaxNameLen)-C.LSM_MAX_NAME_BYTES]
	_ = check[int64(goshm.MaxSize)-C.LSM_MAX_SIZE]

	_ = check[int64(goshm.FieldRevision)-C.LSM_FIELD_REVISION]
	_ = check[int64(goshm.FieldAck)-C.LSM_FIELD_ACK]

	_ = check[int64(goshm.KindOS)-C.LSM_KIND_OS]
	_ = check[int64(goshm.KindArg)-C.LSM_KIND_ARG]
	_ = check[int64(goshm.KindTooLarge)-C.LSM_KIND_TOO_LARGE]
	_ = check[int64(goshm.KindLayout)-C.LSM_KIND_LAYOUT]
	_ = check[int64(goshm.KindSize)-C.LSM_KIND_SIZE]
	_ = check[int64(goshm.KindClosed)-C.LSM_KIND_CLOSED]
	_ = check[int64(goshm.KindLockTimeout)-C.LSM_KIND_LOCK_TIMEOUT]
	_ = check[int64(goshm.KindFault)-C.LSM_KIND_FAULT]
	_ = check[int64(goshm.KindInternal)-C.LSM_KIND_INTERNAL]
	_ = check[int64(goshm.KindUnsupported)-C.LSM_KIND_UNSUPPORTED]
	_ = check[int64(goshm.KindLockHeld)-C.LSM_KIND_LOCK_HELD]

	_ = check[int64(goshm.ShapeUnknown)-C.LSM_SHAPE_UNKNOWN]
	_ = check[int64(goshm.ShapeBlank)-C.LSM_SHAPE_BLANK]
	_ = check[int64(goshm.ShapeStream)-C.LSM_SHAPE_STREAM]
	_ = check[int64(goshm.ShapeQueue)-C.LSM_SHAPE_QUEUE]
	_ = check[int64(goshm.TriUnknown)-C.LSM_TRI_UNKNOWN]
	_ = check[int64(goshm.TriNo)-C.LSM_TRI_NO]
	_ = check[int64(goshm.TriYes)-C.LSM_TRI_YES]

	_ = check[int64(goshm.LockProducer)-C.LSM_LOCK_PRODUCER]
	_ = check[int64(goshm.LockConsumer)-C.LSM_LOCK_CONSUMER]
)
