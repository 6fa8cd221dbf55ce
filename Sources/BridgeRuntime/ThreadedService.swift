import Logging
import ServiceLifecycle

/// Runs a `ThreadedPiece` as a swift-service-lifecycle `Service`: `run()` starts the piece, waits (suspended,
/// not blocking a thread) until the piece's thread ends or the group asks for a graceful shutdown or the task
/// is cancelled, then lets the piece drain and end. A piece whose thread ended by itself makes `run()` throw
/// `PieceFailure`, after a critical log line saying why.
public struct ThreadedService<Piece: ThreadedPiece>: Service, CustomStringConvertible {
    public let piece: Piece
    let logger: Logger

    public init(_ piece: Piece, logger: Logger) {
        self.piece = piece
        self.logger = logger
    }

    public var description: String { piece.pieceName }

    public func run() async throws {
        do {
            try piece.start()
        } catch {
            logger.critical("the \(piece.pieceName) cannot start: \(error)")
            throw error
        }
        let asked = StopFlag()
        let piece = piece
        let stop: @Sendable () -> Void = {
            asked.set()
            piece.requestStop()
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await piece.threadEnd.wait()
            } onGracefulShutdown: {
                stop()
            }
        } onCancel: {
            stop()
        }
        piece.finishStop()
        let reason = piece.failureReason
            ?? (asked.isSet ? nil : "its thread ended without being asked to")
        if let reason {
            logger.critical("the \(piece.pieceName) failed: \(reason); the process stops")
            throw PieceFailure(piece: piece.pieceName, reason: reason)
        }
    }
}
