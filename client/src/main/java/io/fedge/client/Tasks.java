package io.fedge.client;

import io.fedge.comm.proto.Envelope;
import io.fedge.comm.proto.TransferHeader;

/** The fields a TrainTask and an EvaluateTask share, read from the envelope that carries either. */
final class Tasks {
    private Tasks() {
    }

    static long round(Envelope task) {
        return task.hasTrainTask() ? task.getTrainTask().getRound() : task.getEvaluateTask().getRound();
    }

    static TransferHeader model(Envelope task) {
        return task.hasTrainTask() ? task.getTrainTask().getModel() : task.getEvaluateTask().getModel();
    }

    static long modelVersion(Envelope task) {
        return task.hasTrainTask() ? task.getTrainTask().getModelVersion() : task.getEvaluateTask().getModelVersion();
    }

    static boolean modelIsDelta(Envelope task) {
        return task.hasTrainTask() ? task.getTrainTask().getModelIsDelta() : task.getEvaluateTask().getModelIsDelta();
    }

    static long modelDeltaBase(Envelope task) {
        return task.hasTrainTask() ? task.getTrainTask().getModelDeltaBase() : task.getEvaluateTask().getModelDeltaBase();
    }

    /** The header of SCAFFOLD's control variate, which follows the model of a training task; null if none. */
    static TransferHeader controlVariate(Envelope task) {
        return task.hasTrainTask() && task.getTrainTask().getLocalTraining().hasControlVariate()
                ? task.getTrainTask().getLocalTraining().getControlVariate() : null;
    }
}
