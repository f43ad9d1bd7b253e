package io.fedge.data.format;

import io.fedge.core.ErrorCode;
import io.fedge.core.FedgeException;

import java.nio.file.Path;

/** The exception every reader raises for a file it cannot use: {@link ErrorCode#MALFORMED}, naming the file. */
final class Malformed {
    private Malformed() {
    }

    /** {@code FILE: what}. */
    static FedgeException of(Path file, String what) {
        return new FedgeException(ErrorCode.MALFORMED, file + ": " + what);
    }

    /** {@code FILE:LINE: what}. */
    static FedgeException atLine(Path file, long line, String what) {
        return new FedgeException(ErrorCode.MALFORMED, file + ":" + line + ": " + what);
    }
}
