// Memory for values kept in oneDNN's layouts ("shadows", OneDNN+Layouts.swift), reused once a
// value is dead. The executor binds steps in the order they run, so a value's shadow can go
// back to the pool after the binding of its last reader, and a later step's shadow may take
// that memory: at run time the later step writes it only after the last reader has read it.
// Memory comes in slabs mapped on demand (pages are touched only when used) and never moves,
// so the bound steps keep their addresses. Only layouts without padding are pooled: every step
// writing such a shadow writes all of it, while a padded layout's padding must stay zero, which
// memory a previous value used does not guarantee — padded shadows get zeroed memory of their own.
#if canImport(Glibc)
import Glibc
#endif

final class ShadowPool {
    private struct Slab {
        var base: UnsafeMutableRawPointer
        var bytes: Int
        var mapped: Bool
    }

    /// A piece of a slab.
    struct Block {
        var slab: Int
        var offset: Int
        var bytes: Int
    }

    private var slabs: [Slab] = []
    /// Free pieces, by slab and offset.
    private var free: [Block] = []
    /// Bytes of a new slab (a larger request gets a slab of its own size).
    private let slabBytes: Int
    /// Bytes of the slabs mapped so far (address space: a slab's pages are touched only when used).
    private(set) var mappedBytes = 0
    /// Bytes handed out and not yet released, and the most there ever were.
    private(set) var bytesInUse = 0
    private(set) var peakBytesInUse = 0

    init(slabBytes: Int = 64 << 20) {
        self.slabBytes = slabBytes
    }

    deinit {
        for s in slabs {
            if s.mapped { munmap(s.base, s.bytes) } else { s.base.deallocate() }
        }
    }

    /// `bytes` (rounded up to 64) of zero-initialized or reused memory: the first free piece
    /// large enough, else a new slab.
    func allocate(_ bytes: Int) -> (UnsafeMutableRawPointer, Block) {
        let size = max((bytes + 63) / 64 * 64, 64)
        bytesInUse += size
        peakBytesInUse = max(peakBytesInUse, bytesInUse)
        if let i = free.firstIndex(where: { $0.bytes >= size }) {
            let piece = free[i]
            let block = Block(slab: piece.slab, offset: piece.offset, bytes: size)
            if piece.bytes == size {
                free.remove(at: i)
            } else {
                free[i] = Block(slab: piece.slab, offset: piece.offset + size, bytes: piece.bytes - size)
            }
            return (slabs[block.slab].base + block.offset, block)
        }
        let slabSize = max(slabBytes, size)
        let p = mmap(nil, slabSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let p, p != UnsafeMutableRawPointer(bitPattern: -1) {
            slabs.append(Slab(base: p, bytes: slabSize, mapped: true))
        } else {
            // Without a mapping: ordinary zeroed memory.
            let base = UnsafeMutableRawPointer.allocate(byteCount: slabSize, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: slabSize)
            slabs.append(Slab(base: base, bytes: slabSize, mapped: false))
        }
        let base = slabs[slabs.count - 1].base
        mappedBytes += slabSize
        let block = Block(slab: slabs.count - 1, offset: 0, bytes: size)
        if slabSize > size { free.append(Block(slab: block.slab, offset: size, bytes: slabSize - size)) }
        return (base, block)
    }

    /// Returns a block to the pool, merged with free neighbours in its slab.
    func release(_ block: Block) {
        bytesInUse -= block.bytes
        var b = block
        free.removeAll { f in
            guard f.slab == b.slab else { return false }
            if f.offset + f.bytes == b.offset {
                b = Block(slab: b.slab, offset: f.offset, bytes: f.bytes + b.bytes)
                return true
            }
            if b.offset + b.bytes == f.offset {
                b = Block(slab: b.slab, offset: b.offset, bytes: b.bytes + f.bytes)
                return true
            }
            return false
        }
        let at = free.firstIndex { ($0.slab, $0.offset) > (b.slab, b.offset) } ?? free.count
        free.insert(b, at: at)
    }
}
