import ArgumentParser
import DLCCore
import DLCData
import DLCDriver
import DLCTransfer

/// `dlc tokenize --vocab vocab.txt TEXT… -o DIR`: BERT WordPiece ids for `dlc run`.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn sentences into BERT WordPiece ids and an attention mask, as .npy files for dlc run.",
        discussion: """
            Writes DIR/ids.npy (i32 [N, LENGTH]: [CLS] pieces [SEP] then [PAD]) and DIR/mask.npy \
            (f32 [N, LENGTH]: 1 for tokens, 0 for padding), one row per sentence; longer sentences are cut \
            to LENGTH tokens. Without -o, prints each sentence's pieces. Exit status: 0 on success, 1 when \
            the vocabulary cannot be read, 2 for usage errors.
            """)

    @Argument(help: "The sentences.")
    var sentences: [String] = []

    @Option(help: "The vocabulary: a vocab.txt file, one token per line.")
    var vocab: String

    @Option(help: "Tokens per row, [CLS] and [SEP] included.")
    var length = 128

    @Option(name: [.customShort("o"), .customLong("output")], help: "The directory to write ids.npy and mask.npy to (created if missing).")
    var output: String?

    func validate() throws {
        if sentences.isEmpty { throw ValidationError("give at least one sentence") }
        if length < 2 { throw ValidationError("--length must be at least 2 (for [CLS] and [SEP])") }
        try asUsage { try OutputPath.checkReadable(vocab) }
    }

    func run() throws {
        do {
            let tokenizer = try WordPiece(vocabFile: vocab)
            guard let output else {
                for s in sentences { print(tokenizer.pieces(s).joined(separator: " ")) }
                return
            }
            var ids: [Int32] = [], mask: [Float] = []
            for s in sentences {
                let e = tokenizer.encode(s, length: length)
                ids += e.ids
                mask += e.mask
            }
            let written = try PlanExport.writeOutputs(["ids": HostTensor(shape: [sentences.count, length], storage: .i32(ids)),
                                                       "mask": HostTensor(shape: [sentences.count, length], storage: .f32(mask))],
                                                      to: output)
            for path in written { print("wrote \(path)") }
        } catch let e as DLCError {
            FileHandle.standardError.write("error: \(e.message)\n")
            throw ExitCode(1)
        }
    }
}
