package io.fedge.cli;

import io.fedge.data.DataFormat;
import io.fedge.data.TrainTest;
import io.fedge.data.format.PngExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code fedge data}: tools for data sets. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Tools for data sets (docs/data.md).",
        subcommands = {DataCommand.ExportPng.class})
final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code fedge data export-png}: IDX images to a folder of PNG files per class. */
    @Command(name = "export-png", mixinStandardHelpOptions = true,
            description = {"Write an IDX data set (Fashion-MNIST by default) as PNG files, OUT/train/<class>/<index>.png "
                    + "and OUT/test/<class>/<index>.png, 8-bit grey (or RGB), class and index zero-padded: read "
                    + "back with --data-format images --train OUT/train --test OUT/test, the examples are the same "
                    + "pixels in the same order."})
    static final class ExportPng implements Callable<Integer>, OptionChecks.Validated {
        @picocli.CommandLine.Mixin
        DataOptions data = new DataOptions();

        @Option(names = "--out", required = true, description = "the folder to write train/ and test/ into (it "
                + "must not hold them yet)")
        Path out;

        @Override
        public void validate() {
            data.validate();
            if (DataFormat.byName(data.format) != DataFormat.IDX) {
                throw new IllegalArgumentException("export-png reads IDX data (--data-format idx)");
            }
        }

        @Override
        public Integer call() throws Exception {
            for (String split : new String[] {"train", "test"}) {
                if (Files.exists(out.resolve(split))) {
                    throw new IllegalArgumentException(out.resolve(split) + " exists already; choose another --out");
                }
            }
            TrainTest sets = data.source(0).load(true);
            int n = PngExport.write(sets.train(), out.resolve("train"));
            System.out.println("wrote " + n + " images to " + out.resolve("train"));
            if (sets.test() != null) {
                n = PngExport.write(sets.test(), out.resolve("test"));
                System.out.println("wrote " + n + " images to " + out.resolve("test"));
            }
            return 0;
        }
    }
}
