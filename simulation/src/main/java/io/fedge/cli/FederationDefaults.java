package io.fedge.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The default-value provider of one command that takes {@code --config FILE}: for an option the
 * user did not give, the value the file sets for it ({@link FederationKeys}), which picocli then
 * converts and stores as if it had been typed. Options given on the command line never reach a
 * default-value provider, so they override the file. Remembers which options the file set in the
 * current parse, so that an error about one can say where in the file its value is.
 *
 * <p>Not thread-safe: one parse at a time, as picocli runs them.
 */
final class FederationDefaults implements CommandLine.IDefaultValueProvider {
    private final String command;
    private final ConfigOptions options;
    private final CommandLine commandLine;
    private FederationFile loaded;
    /** The settings this parse took from the file, by option name. */
    private final Map<String, FederationFile.Setting> supplied = new LinkedHashMap<>();

    /**
     * @param commandLine the command, {@code fedge COMMAND}
     * @param options     where picocli puts the command's {@code --config}
     */
    FederationDefaults(CommandLine commandLine, ConfigOptions options) {
        this.command = commandLine.getCommandName();
        if (!FederationKeys.COMMANDS.contains(command)) {
            throw new IllegalArgumentException("no federation file for command " + command);
        }
        this.commandLine = commandLine;
        this.options = options;
    }

    /** Called when picocli starts parsing the command: forget the last parse's settings. */
    void startParse() {
        supplied.clear();
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || options.file == null) {
            return null;
        }
        Optional<FederationKeys.Key> key = FederationKeys.forOption(command, option.longestName());
        if (key.isEmpty()) {
            return null;
        }
        FederationFile.Setting setting = file().settings().get(key.get().path());
        if (setting == null || (key.get().type() == ValueType.LIST && setting.optionText().isEmpty())) {
            // picocli would split an empty default into one empty item; [] keeps the option's own
            // default, which is the empty list for every list option (FederationKeysTest)
            return null;
        }
        supplied.put(option.longestName(), setting);
        String text = key.get().targets().get(command).negated()
                ? String.valueOf(!Boolean.parseBoolean(setting.optionText())) : setting.optionText();
        // picocli expands ${...} in default values and turns $$ into $; a file's value is taken literally
        return text.replace("$", "$$");
    }

    /**
     * The file {@code --config} names, read and checked once per path.
     *
     * @throws CommandLine.ParameterException in one line if the file cannot be read or is wrong
     */
    FederationFile file() {
        Path path = options.file;
        if (loaded == null || !loaded.file().equals(path)) {
            try {
                loaded = FederationFile.read(path);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage(), e, null, String.valueOf(path));
            }
        }
        return loaded;
    }

    /** The command's {@code --config} and {@code --print-config}. */
    ConfigOptions options() {
        return options;
    }

    /** The command's name in the table ({@link FederationKeys#COMMANDS}). */
    String command() {
        return command;
    }

    /**
     * {@code message}, about an option, prefixed with where the file set that option's value when
     * it did in this parse: {@code fed.yaml:7:7: training.lr: --lr must be finite and > 0, not -0.1}.
     * The option is the one {@code arg} names, or else the one the message starts with.
     */
    String explain(ArgSpec arg, String message) {
        if (message == null || loaded == null) {
            return message;
        }
        for (Map.Entry<String, FederationFile.Setting> e : supplied.entrySet()) {
            String option = e.getKey();
            boolean about = arg instanceof OptionSpec o ? o.longestName().equals(option) : startsWithOption(message, option);
            if (about) {
                return loaded.where(e.getValue()) + ": " + e.getValue().key().path() + ": " + message;
            }
        }
        return message;
    }

    /**
     * Whether {@code message} is about {@code option}: it starts with the option ({@code --lr must
     * be ...}) or with its bare name and a space, as messages of the strategy registry do
     * ({@code strategy fedadam has no parameter 'foo'}).
     */
    private static boolean startsWithOption(String message, String option) {
        String bare = option.replaceFirst("^-+", "");
        if (message.startsWith(bare + " ")) {
            return true;
        }
        if (!message.startsWith(option)) {
            return false;
        }
        if (message.length() == option.length()) {
            return true;
        }
        char next = message.charAt(option.length());
        return next == ' ' || next == ':' || next == '=';
    }
}
