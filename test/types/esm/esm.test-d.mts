// The package as an ES module consumer sees it through the exports map (resolved by the package's
// own name): named imports and the default import carry index.d.ts's types; lib/ is not exported.
import { NodeSharedMemoryWriteStream, NodeSharedMemoryReadStream, kMemoryTypeString } from 'node-libsharedmemory';
import lsm from 'node-libsharedmemory';

const writer: NodeSharedMemoryWriteStream = new lsm.NodeSharedMemoryWriteStream('esm-types', 4096, false);
writer.writeString('hi');
const reader = new NodeSharedMemoryReadStream('esm-types');
const text: string = reader.readString();
const bit: 2 = kMemoryTypeString;
void text;
void bit;

// @ts-expect-error deep imports stop at the exports map
import('node-libsharedmemory/lib/native');
