package io.fedge.cli;

import io.fedge.core.FedgeException;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How the fedge CLI reports what went wrong: one line on stderr, {@code fedge CMD: what}, with
 * {@code (see fedge CMD --help)} and exit code 2 for bad input (options picocli or a command's
 * checks refuse, files that do not exist), exit code 1 for failures while running. The stack trace
 * follows only with {@code --debug} or {@code FEDGE_DEBUG=1}.
 */
final class CliErrors {
    static final int USAGE = 2;
    static final int FAILED = 1;

    private CliErrors() {
    }

    /** Installs both handlers on {@code cli}. */
    static CommandLine install(CommandLine cli) {
        cli.setParameterExceptionHandler(CliErrors::onBadParameters);
        cli.setExecutionExceptionHandler(CliErrors::onFailure);
        return cli;
    }

    private static int onBadParameters(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        boolean debug = envDebug();
        for (String a : args) {
            debug |= "--debug".equals(a);
        }
        if (debug) {
            e.printStackTrace(cmd.getErr());
        }
        usageLine(cmd, e.getMessage());
        return USAGE;
    }

    private static int onFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        Throwable cause = unwrap(e);
        if (debug(parsed)) {
            cause.printStackTrace(cmd.getErr());
        }
        if (isUsage(cause)) {
            usageLine(cmd, describe(cause));
            return USAGE;
        }
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + oneLine(describe(cause)));
        cmd.getErr().flush();
        return FAILED;
    }

    private static void usageLine(CommandLine cmd, String message) {
        String name = cmd.getCommandSpec().qualifiedName();
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + oneLine(message) + " (see " + name + " --help)");
        err.flush();
    }

    /** Bad input: an option value no command can use, or a file named on the command line that is not there. */
    private static boolean isUsage(Throwable t) {
        return t instanceof IllegalArgumentException || t instanceof CommandLine.PicocliException
                || t instanceof NoSuchFileException;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException
                || t instanceof InvocationTargetException || t instanceof UncheckedIOException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String describe(Throwable t) {
        if (t instanceof NoSuchFileException f) {
            return "no such file: " + f.getFile();
        }
        if (t instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (t instanceof FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
        }
        if (t instanceof FedgeException || t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t instanceof java.io.IOException || t instanceof SecurityException
                || t instanceof CommandLine.PicocliException) {
            return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        }
        return "internal error: " + t + " (--debug or FEDGE_DEBUG=1 shows the stack trace)";
    }

    /** Several lines of a message joined into one. */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static boolean debug(CommandLine.ParseResult parsed) {
        if (envDebug()) {
            return true;
        }
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }

    private static boolean envDebug() {
        return "1".equals(System.getenv("FEDGE_DEBUG"));
    }
}
